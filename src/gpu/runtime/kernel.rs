//! What a launcher names to run a kernel: a WGSL program, one of its entry points, and the
//! values of its override constants.

use std::fmt;
use std::hash::{Hash, Hasher};

/// One WGSL program: a file of shaders/ with the files it includes. Declared as a `static`
/// (src/gpu/kernels.rs), so its address identifies it: no name has to be kept unique by hand.
pub(crate) struct Program {
    /// The file's name under shaders/, for error messages.
    pub(crate) name: &'static str,
    pub(crate) source: &'static str,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shaders/{}", self.name)
    }
}

/// Values of a program's `override` constants, fixed when its pipeline is built: an element-wise
/// op, say, so that the kernel holds no switch over every op.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Constants([Option<(&'static str, u32)>; Constants::MAX]);

impl Constants {
    const MAX: usize = 6;

    pub(crate) const NONE: Constants = Constants([None; Constants::MAX]);

    /// These constants with `name` set to `value`.
    ///
    /// # Panics
    /// When `MAX` are already set: a fixed table of kernels (src/gpu/kernels.rs) names them, so
    /// that is a mistake in that table, caught by its first use in any test.
    pub(crate) const fn with(mut self, name: &'static str, value: u32) -> Constants {
        let mut i = 0;
        while i < Constants::MAX {
            if self.0[i].is_none() {
                self.0[i] = Some((name, value));
                return self;
            }
            i += 1;
        }
        panic!("more override constants than Constants::MAX");
    }

    pub(crate) fn pairs(&self) -> Vec<(&'static str, f64)> {
        self.0
            .iter()
            .flatten()
            .map(|&(n, v)| (n, f64::from(v)))
            .collect()
    }
}

/// A kernel: an entry point of a program, with its override constants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kernel {
    pub(crate) program: &'static Program,
    pub(crate) entry: &'static str,
    pub(crate) constants: Constants,
}

impl Kernel {
    pub(crate) const fn new(program: &'static Program, entry: &'static str) -> Kernel {
        Kernel {
            program,
            entry,
            constants: Constants::NONE,
        }
    }

    /// This kernel with the override constant `name` set to `value`.
    pub(crate) const fn with(self, name: &'static str, value: u32) -> Kernel {
        Kernel {
            constants: self.constants.with(name, value),
            ..self
        }
    }

    pub(crate) fn program_id(&self) -> usize {
        self.program as *const Program as usize
    }
}

impl PartialEq for Kernel {
    fn eq(&self, other: &Kernel) -> bool {
        self.program_id() == other.program_id()
            && self.entry == other.entry
            && self.constants == other.constants
    }
}

impl Eq for Kernel {}

impl Hash for Kernel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.program_id().hash(state);
        self.entry.hash(state);
        self.constants.hash(state);
    }
}
