//! `--partition K/N`: a deterministic share of the cells for one CI job. The unit dealt out is a
//! snapshot group (one scenario on one database, all its runtimes), so the cross-runtime comparison of
//! a snapshot still happens inside one job; groups are dealt round-robin in matrix order, so shard
//! sizes differ by at most one group and every machine computes the same shares.

use std::fmt;
use std::str::FromStr;

use super::Cell;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    index: usize,
    count: usize,
}

/// Why a `K/N` text is not a partition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    #[error("`{0}` is not a partition: write K/N, e.g. 2/3 for the second of three shards")]
    Syntax(String),
    #[error("`{0}`: the number of shards must be at least 1")]
    NoShards(String),
    #[error("`{text}`: the shard must be between 1 and {count}")]
    OutOfRange { text: String, count: usize },
}

impl Partition {
    pub fn new(index: usize, count: usize) -> Result<Self, PartitionError> {
        let text = format!("{index}/{count}");
        if count == 0 {
            return Err(PartitionError::NoShards(text));
        }
        if index == 0 || index > count {
            return Err(PartitionError::OutOfRange { text, count });
        }
        Ok(Self { index, count })
    }

    /// 1-based.
    pub fn index(self) -> usize {
        self.index
    }

    pub fn count(self) -> usize {
        self.count
    }

    /// The items of this shard, in their order. Items with equal keys always land in the same shard;
    /// the distinct keys, in order of first appearance, are dealt round-robin.
    pub fn select<T, K: PartialEq>(self, items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
        let mut keys: Vec<K> = Vec::new();
        let mut kept = Vec::new();
        for item in items {
            let k = key(&item);
            let group = match keys.iter().position(|seen| *seen == k) {
                Some(group) => group,
                None => {
                    keys.push(k);
                    keys.len() - 1
                }
            };
            if group % self.count == self.index - 1 {
                kept.push(item);
            }
        }
        kept
    }

    /// This shard of a workspace's cells (each configuration with its cells, in matrix order):
    /// whole snapshot groups (configuration x scenario x database, every runtime) dealt
    /// round-robin, so runtimes are compared inside one shard. A configuration left with no cell
    /// is dropped.
    pub fn shard<C>(self, configs: Vec<(C, Vec<Cell>)>) -> Vec<(C, Vec<Cell>)> {
        let mut flat = Vec::new();
        let mut owners: Vec<Option<C>> = Vec::new();
        for (index, (config, cells)) in configs.into_iter().enumerate() {
            flat.extend(cells.into_iter().map(|cell| (index, cell)));
            owners.push(Some(config));
        }
        let kept = self.select(flat, |(index, cell)| {
            (*index, cell.scenario, cell.database.id())
        });
        let mut out: Vec<(usize, C, Vec<Cell>)> = Vec::new();
        for (index, cell) in kept {
            if let Some((_, _, cells)) = out.iter_mut().find(|(i, ..)| *i == index) {
                cells.push(cell);
            } else if let Some(config) = owners[index].take() {
                out.push((index, config, vec![cell]));
            }
        }
        out.into_iter()
            .map(|(_, config, cells)| (config, cells))
            .collect()
    }
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || PartitionError::Syntax(text.to_string());
        let (index, count) = text.trim().split_once('/').ok_or_else(syntax)?;
        let number = |part: &str| part.trim().parse::<usize>().map_err(|_| syntax());
        Partition::new(number(index)?, number(count)?)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("1/1", 1, 1)]
    #[case("2/3", 2, 3)]
    #[case(" 3/3 ", 3, 3)]
    fn parses(#[case] text: &str, #[case] index: usize, #[case] count: usize) {
        let partition: Partition = text.parse().unwrap();
        assert_eq!((partition.index(), partition.count()), (index, count));
        assert_eq!(partition.to_string(), format!("{index}/{count}"));
    }

    #[rstest]
    #[case("2", "not a partition")]
    #[case("a/3", "not a partition")]
    #[case("1/0", "at least 1")]
    #[case("0/3", "between 1 and 3")]
    #[case("4/3", "between 1 and 3")]
    fn rejects(#[case] text: &str, #[case] message: &str) {
        let err = text.parse::<Partition>().unwrap_err().to_string();
        assert!(err.contains(message), "{err}");
    }

    #[test]
    fn equal_keys_stay_together_and_groups_are_dealt_in_turn() {
        let items = vec![("a", 1), ("a", 2), ("b", 3), ("c", 4), ("c", 5), ("d", 6)];
        let first = Partition::new(1, 2)
            .unwrap()
            .select(items.clone(), |item| item.0);
        let second = Partition::new(2, 2).unwrap().select(items, |item| item.0);
        assert_eq!(first, vec![("a", 1), ("a", 2), ("c", 4), ("c", 5)]);
        assert_eq!(second, vec![("b", 3), ("d", 6)]);
    }
}
