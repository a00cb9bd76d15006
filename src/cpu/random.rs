//! Counter-based random numbers, bit for bit as shaders/random.wgsl computes them: element i of
//! a mask is a hash of (seed, i).

use super::collect_n;
use crate::Result;

/// Chris Wellons' lowbias32: a full-avalanche 32-bit integer hash.
pub(crate) fn lowbias32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// A dropout mask and what both devices need to draw it: the two keys a 64-bit seed gives,
/// the 24-bit threshold a kept element's hash reaches, and a kept element's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DropoutMask {
    pub(crate) key0: u32,
    pub(crate) key1: u32,
    pub(crate) threshold: u32,
    pub(crate) scale: f32,
}

impl DropoutMask {
    /// Elements are dropped with probability `rate` (in [0, 1)) and the rest scaled by
    /// `1 / (1 - rate)`, so the expected value is unchanged.
    pub(crate) fn new(rate: f32, seed: u64) -> DropoutMask {
        DropoutMask {
            key0: lowbias32(seed as u32 ^ 0x9e37_79b9),
            key1: lowbias32((seed >> 32) as u32 ^ 0x85eb_ca6b),
            threshold: (f64::from(rate) * f64::from(1u32 << 24)).ceil() as u32,
            scale: (1.0 / (1.0 - f64::from(rate))) as f32,
        }
    }

    /// Element `i`'s value: 0 or `scale`.
    #[inline]
    pub(crate) fn at(&self, i: u32) -> f32 {
        let bits = lowbias32(lowbias32(i ^ self.key0).wrapping_add(self.key1)) >> 8;
        if bits >= self.threshold {
            self.scale
        } else {
            0.0
        }
    }
}

pub(crate) fn dropout_mask(len: usize, mask: &DropoutMask) -> Result<Vec<f32>> {
    collect_n(len, (0..len).map(|i| mask.at(i as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash spreads neighbouring inputs, and a mask has its rate and scale.
    #[test]
    fn hash_and_rate() {
        assert_eq!(lowbias32(0), 0);
        assert_ne!(lowbias32(1), lowbias32(2));
        let m = DropoutMask::new(0.25, 7);
        let v = dropout_mask(100_000, &m).unwrap();
        let kept = v.iter().filter(|&&x| x != 0.0).count() as f64 / v.len() as f64;
        assert!((kept - 0.75).abs() < 0.01, "{kept}");
        assert!(v.iter().all(|&x| x == 0.0 || x == m.scale));
        assert_eq!(m.scale, 1.0 / 0.75);
        // Another seed draws other elements.
        let w = dropout_mask(100_000, &DropoutMask::new(0.25, 8)).unwrap();
        let same = v
            .iter()
            .zip(&w)
            .filter(|(a, b)| (**a == 0.0) == (**b == 0.0))
            .count();
        assert!(same < 70_000, "{same}");
        assert_eq!(DropoutMask::new(0.0, 1).threshold, 0);
    }
}
