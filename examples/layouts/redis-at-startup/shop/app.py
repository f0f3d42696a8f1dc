"""The shop's app: its cache is Redis, which it reaches when it is built."""
import redis

from shop import settings


class App:
    def __init__(self, cache):
        self.cache = cache


def create_app():
    cache = redis.Redis.from_url(settings.REDIS_URL)
    # Counts the app's starts: the first command that reaches the server.
    cache.incr("shop:starts")
    return App(cache)
