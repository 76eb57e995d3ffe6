//! Bulk statements in a few fixed shapes. SQLite caches a prepared
//! statement per distinct SQL text, and a multi-row `INSERT` of every batch
//! size is a distinct text: left alone, a writer prepares (and caches, at
//! ~100 KB each) hundreds of shapes. Splitting every batch into chunks whose
//! sizes are powers of two up to [`LARGEST`] bounds the shapes to nine per
//! table, so they all stay cached and are prepared once.

/// The largest chunk: far below SQLite's 32 766 bound variables even for
/// wide tables (256 rows × 14 columns).
pub const LARGEST: usize = 256;

/// Splits `rows` into chunks of `LARGEST`, then the binary decomposition of
/// the rest (e.g. 300 → 256, 32, 8, 4).
pub fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = if rest.len() >= LARGEST { LARGEST } else { 1 << rest.len().ilog2() };
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// The number of items an `IN (…)` list is padded to (the next power of
/// two), so that lookups also come in few shapes.
pub fn padded_len(len: usize) -> usize {
    len.next_power_of_two()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn batches_split_into_powers_of_two() {
        let rows: Vec<u32> = (0..300).collect();
        let sizes: Vec<usize> = chunks(&rows).map(<[u32]>::len).collect();
        assert_eq!(sizes, [256, 32, 8, 4]);
        assert_eq!(chunks::<u32>(&[]).count(), 0);
    }

    proptest! {
        #[test]
        fn every_row_is_kept_in_order_in_few_shapes(len in 0usize..3000) {
            let rows: Vec<usize> = (0..len).collect();
            let joined: Vec<usize> = chunks(&rows).flatten().copied().collect();
            prop_assert_eq!(joined, rows);
            for chunk in chunks(&(0..len).collect::<Vec<_>>()) {
                prop_assert!(chunk.len().is_power_of_two() && chunk.len() <= LARGEST);
            }
        }
    }
}
