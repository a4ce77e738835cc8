//! Where a local model runs: `cpu` or `cuda[:N]` (the CLI's `--device`).
//!
//! The same value serves both local backends. candle runs on a CUDA GPU only
//! in a build with the `cuda` feature, and loads the CUDA libraries (driver,
//! NVRTC, cuBLAS, cuRAND) when a model is opened on the GPU, so one binary
//! runs with or without a GPU ([`cuda_libraries_missing`] names what is
//! absent). ONNX Runtime runs on a GPU in every build when the loaded library
//! has the CUDA execution provider (the `onnxruntime-gpu` wheel's library).
//! Asked for a GPU that cannot be used, both fail with an error that says
//! why: neither falls back to the CPU.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Where a model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// The CPU.
    #[default]
    Cpu,
    /// The CUDA GPU with this index (`cuda` is `cuda:0`).
    Cuda(u32),
}

impl Device {
    /// Whether this is a GPU.
    pub fn is_cuda(self) -> bool {
        matches!(self, Device::Cuda(_))
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// A `--device` value that is not `cpu`, `cuda` or `cuda:N`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeviceParseError {
    /// Neither `cpu` nor `cuda[:N]`.
    #[error("unknown device {0:?}: expected cpu, cuda or cuda:N (N the GPU's index, e.g. cuda:1)")]
    Unknown(String),
    /// `cuda:` followed by something other than a GPU index.
    #[error("device {0:?}: after `cuda:` comes the GPU's index, a number such as 0 or 1")]
    BadIndex(String),
}

impl FromStr for Device {
    type Err = DeviceParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "cpu" => return Ok(Device::Cpu),
            "cuda" | "gpu" => return Ok(Device::Cuda(0)),
            _ => {}
        }
        let Some(index) = t.strip_prefix("cuda:").or_else(|| t.strip_prefix("gpu:")) else {
            return Err(DeviceParseError::Unknown(s.to_string()));
        };
        // Digits only: `u32::from_str` would take a leading `+`.
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DeviceParseError::BadIndex(s.to_string()));
        }
        index
            .parse()
            .map(Device::Cuda)
            .map_err(|_| DeviceParseError::BadIndex(s.to_string()))
    }
}

/// Whether candle's CUDA backend is compiled in (the `cuda` feature).
pub const CANDLE_CUDA: bool = cfg!(feature = "cuda");

/// The shared libraries candle's CUDA backend opens, with their sonames:
/// CUDA 13's, the version the `cuda` build is compiled against (its kernels
/// and library bindings), or the unversioned development link. A CUDA 12
/// library is not taken for a CUDA 13 one.
pub const CUDA_LIBRARIES: &[(&str, &[&str])] = &[
    ("the NVIDIA driver", &["libcuda.so.1", "libcuda.so"]),
    ("NVRTC", &["libnvrtc.so.13", "libnvrtc.so"]),
    ("cuBLAS", &["libcublas.so.13", "libcublas.so"]),
    ("cuBLASLt", &["libcublasLt.so.13", "libcublasLt.so"]),
    ("cuRAND", &["libcurand.so.10", "libcurand.so"]),
];

/// The CUDA libraries of [`CUDA_LIBRARIES`] that `available` finds under
/// none of their names, as `what (sonames)` lines; empty when all are there.
/// `available` is asked per soname (the real check opens the library).
pub fn cuda_libraries_missing(available: impl Fn(&str) -> bool) -> Vec<String> {
    CUDA_LIBRARIES
        .iter()
        .filter(|(_, names)| !names.iter().any(|n| available(n)))
        .map(|(what, names)| format!("{what} ({})", names.join(", ")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_cuda_with_and_without_an_index() {
        assert_eq!("cpu".parse(), Ok(Device::Cpu));
        assert_eq!("CPU".parse(), Ok(Device::Cpu));
        assert_eq!("cuda".parse(), Ok(Device::Cuda(0)));
        assert_eq!("cuda:0".parse(), Ok(Device::Cuda(0)));
        assert_eq!("cuda:3".parse(), Ok(Device::Cuda(3)));
        assert_eq!(" Cuda:12 ".parse(), Ok(Device::Cuda(12)));
        assert_eq!("gpu".parse(), Ok(Device::Cuda(0)));
    }

    #[test]
    fn rejects_other_devices_and_indices_with_the_reason() {
        for bad in ["", "tpu", "metal", "cuda0", "cpu:0"] {
            let e = bad.parse::<Device>().unwrap_err();
            assert_eq!(e, DeviceParseError::Unknown(bad.into()));
            assert!(
                e.to_string().contains("expected cpu, cuda or cuda:N"),
                "{e}"
            );
        }
        for bad in [
            "cuda:",
            "cuda:-1",
            "cuda:+1",
            "cuda:x",
            "cuda:1.5",
            "cuda:99999999999",
        ] {
            let e = bad.parse::<Device>().unwrap_err();
            assert_eq!(e, DeviceParseError::BadIndex(bad.into()), "{bad}");
            assert!(e.to_string().contains("GPU's index"), "{e}");
        }
    }

    #[test]
    fn displays_as_it_parses() {
        for d in [Device::Cpu, Device::Cuda(0), Device::Cuda(7)] {
            assert_eq!(d.to_string().parse(), Ok(d));
        }
        assert_eq!(Device::Cuda(0).to_string(), "cuda:0");
        assert!(Device::Cuda(1).is_cuda() && !Device::Cpu.is_cuda());
    }

    #[test]
    fn names_each_missing_cuda_library_once() {
        assert!(cuda_libraries_missing(|_| true).is_empty());
        let none = cuda_libraries_missing(|_| false);
        assert_eq!(none.len(), CUDA_LIBRARIES.len());
        assert!(
            none[0].starts_with("the NVIDIA driver (libcuda.so.1"),
            "{none:?}"
        );
        // A driver but no toolkit libraries (a GPU machine without them on
        // the library path): the four toolkit libraries are named.
        let driver_only = cuda_libraries_missing(|n| n.starts_with("libcuda.so"));
        assert_eq!(driver_only.len(), 4, "{driver_only:?}");
        assert!(driver_only.iter().any(|m| m.starts_with("cuBLAS (")));
        // Either soname of a library is enough; CUDA 12's is none of them.
        let unversioned = cuda_libraries_missing(|n| n != "libcublas.so.13");
        assert!(unversioned.is_empty(), "{unversioned:?}");
        let cuda12 = cuda_libraries_missing(|n| !n.starts_with("libcublas.so"));
        assert_eq!(cuda12, ["cuBLAS (libcublas.so.13, libcublas.so)"]);
    }
}
