//! Work on Python sources with a stack sized for them. The parser bounds nesting, but not a chain
//! (`a + b + ...`, `a.b.c...`, `f()()...`): its syntax tree is as deep as the chain is long, and
//! walking or dropping the tree recurses once per link, so a long enough chain overflows any fixed
//! stack (an abort, not even a panic).

/// Sources longer than this are worked on in a thread of their own. A link takes at least two
/// bytes, so a shorter source fits any thread's stack.
const OWN_STACK_ABOVE: usize = 16 * 1024;

/// The stack such a thread gets per byte of source, on top of [`BASE_STACK`]: a link takes at least
/// two bytes, and walking it (init's scanner visits every expression) took more than 256 bytes of
/// stack per byte in an unoptimised build; 1 kB a byte leaves room. The stack is only reserved:
/// pages the work does not touch are never used.
const STACK_PER_BYTE: usize = 1024;
const BASE_STACK: usize = 2 << 20;

/// Runs `work` (which parses and walks a source of `len` bytes) on a stack large enough for it:
/// on this thread when the source is short, else on a thread of its own. `Err` when no such
/// thread can be started; a panic in `work` is resumed here.
pub fn for_source<T: Send>(len: usize, work: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    if len <= OWN_STACK_ABOVE {
        return Ok(work());
    }
    let stack = len
        .saturating_mul(STACK_PER_BYTE)
        .saturating_add(BASE_STACK);
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("python-source".into())
            .stack_size(stack)
            .spawn_scoped(scope, work)?;
        match thread.join() {
            Ok(value) => Ok(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
