//! Broadcasting, slicing and merging against the offsets they must walk.

use super::*;

#[test]
fn numpy_broadcasting_cases() {
    let b = |l: &[usize], r: &[usize]| broadcast_shapes("t", l, r);
    assert_eq!(b(&[64, 3, 32, 10], &[32, 10]).unwrap(), vec![64, 3, 32, 10]);
    assert_eq!(b(&[2, 2, 3], &[3]).unwrap(), vec![2, 2, 3]);
    assert_eq!(b(&[32, 10], &[10]).unwrap(), vec![32, 10]);
    assert_eq!(b(&[3, 1], &[1, 4]).unwrap(), vec![3, 4]);
    assert_eq!(b(&[], &[5, 2]).unwrap(), vec![5, 2]);
    assert_eq!(b(&[4, 0], &[1]).unwrap(), vec![4, 0]);
    assert!(matches!(
        b(&[3, 2], &[3]),
        Err(Error::ShapeMismatch { op: "t", .. })
    ));
}

#[test]
fn broadcast_offsets_repeat_rows() {
    let l = Layout::contiguous(&[3]).broadcast_to("t", &[2, 3]).unwrap();
    assert_eq!(l.offsets().collect::<Vec<_>>(), vec![0, 1, 2, 0, 1, 2]);
    assert!(!l.is_contiguous());
}

#[test]
fn transposed_offsets() {
    let l = Layout::new(vec![3, 2], vec![1, 3], 0);
    assert_eq!(l.offsets().collect::<Vec<_>>(), vec![0, 3, 1, 4, 2, 5]);
    assert_eq!(l.span(), (0, 6));
}

fn sl(start: isize, end: Option<isize>, step: isize) -> SliceInfoElem {
    SliceInfoElem::Slice { start, end, step }
}

#[test]
fn slices_follow_numpy_bounds() {
    let l = Layout::contiguous(&[300, 28, 28]);
    let batch = l.slice(&[sl(256, Some(384), 1)]).unwrap();
    assert_eq!(batch.shape(), &[44, 28, 28]);
    assert_eq!(batch.offset(), 256 * 784);
    let crop = l
        .slice(&[sl(0, None, 1), sl(7, Some(-7), 1), sl(7, Some(-7), 1)])
        .unwrap();
    assert_eq!(crop.shape(), &[300, 14, 14]);
    assert_eq!(crop.offset(), 7 * 28 + 7);
    assert_eq!(l.slice(&[sl(400, None, 1)]).unwrap().shape(), &[0, 28, 28]);
    assert_eq!(l.slice(&[sl(5, Some(2), 1)]).unwrap().shape(), &[0, 28, 28]);
    assert!(l.slice(&[sl(0, None, 0)]).is_err());
    assert!(l.slice(&[SliceInfoElem::Index(300)]).is_err());
    assert_eq!(
        l.slice(&[SliceInfoElem::Index(-1)]).unwrap().offset(),
        299 * 784
    );
}

#[test]
fn negative_steps_walk_the_range_backwards() {
    let l = Layout::contiguous(&[10]);
    let r = l.slice(&[sl(2, Some(7), -2)]).unwrap();
    assert_eq!(r.offsets().collect::<Vec<_>>(), vec![6, 4, 2]);
    let all = l.slice(&[sl(0, None, -1)]).unwrap();
    assert_eq!(
        all.offsets().collect::<Vec<_>>(),
        (0..10).rev().collect::<Vec<_>>()
    );
    assert_eq!(all.span(), (0, 10));
}

/// Merging keeps each layout's offsets, in order, with fewer axes.
#[test]
fn merged_layouts_walk_the_same_offsets() {
    let rank100 = |d: &[usize]| {
        let mut shape = vec![1; 100];
        shape[0] = d[0];
        shape[99] = d[1];
        shape
    };
    let x = Layout::contiguous(&rank100(&[2, 3]));
    let y = Layout::contiguous(&[3])
        .broadcast_to("t", &rank100(&[2, 3]))
        .unwrap();
    let t = Layout::new(vec![4, 3, 2], vec![1, 4, 12], 5); // a permuted view
    let c = Layout::contiguous(&[4, 3, 2]);
    let cases: Vec<(Vec<&Layout>, usize)> = vec![
        (vec![&x, &y], 2),
        (vec![&x], 1),
        (vec![&t, &c], 3),
        (vec![&c], 1),
    ];
    for (layouts, rank) in cases {
        let merged = Layout::merged(&layouts);
        for (l, m) in layouts.iter().zip(&merged) {
            assert_eq!(m.shape().len(), rank, "{l:?} -> {m:?}");
            let before: Vec<usize> = l.offsets().collect();
            assert_eq!(m.offsets().collect::<Vec<_>>(), before, "{l:?} -> {m:?}");
        }
    }
    // Slices of contiguous rows merge; a reversed axis merges with nothing.
    let s = Layout::contiguous(&[6, 5, 4])
        .slice(&[sl(1, Some(5), 1), sl(0, None, 1), sl(0, None, -1)])
        .unwrap();
    let m = &Layout::merged(&[&s])[0];
    assert_eq!((m.shape(), m.strides()), (&[20, 4][..], &[4, -1][..]));
    assert_eq!(
        m.offsets().collect::<Vec<_>>(),
        s.offsets().collect::<Vec<_>>()
    );
    let empty = Layout::contiguous(&[3, 0, 2]);
    assert_eq!(Layout::merged(&[&empty])[0].shape(), &[0]);
    let scalar = Layout::new(vec![], vec![], 7);
    assert_eq!(
        Layout::merged(&[&scalar])[0].offsets().collect::<Vec<_>>(),
        vec![7]
    );
}

#[test]
fn scalar_layout_has_one_offset() {
    let l = Layout::new(vec![], vec![], 7);
    assert_eq!(l.offsets().collect::<Vec<_>>(), vec![7]);
    assert!(l.is_contiguous());
}
