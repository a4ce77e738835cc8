//! Which execution provider an ONNX Runtime session gets for a [`Device`],
//! and registering it.
//!
//! The CPU is always there. A GPU needs the CUDA execution provider, which
//! only GPU builds of the library have: the `onnxruntime-gpu` wheel's
//! `onnxruntime/capi/libonnxruntime.so.*` (with its
//! `libonnxruntime_providers_cuda.so`, and CUDA's cuBLAS, cuDNN 9 and
//! runtime libraries on the library path; see docs/gpu.md). Asked for a GPU
//! that the library or machine cannot give, loading fails with the reason:
//! a session is never moved to the CPU behind the caller's back.

use std::path::Path;

use crate::device::Device;
use crate::error::InferError;

/// The execution provider a session runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// `CPUExecutionProvider`.
    Cpu,
    /// `CUDAExecutionProvider` on this GPU.
    Cuda {
        /// The GPU's index.
        device_id: i32,
    },
}

impl Provider {
    /// ONNX Runtime's name of the provider.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Cpu => "CPUExecutionProvider",
            Provider::Cuda { .. } => "CUDAExecutionProvider",
        }
    }
}

/// The provider for `device`, given whether the library (`library`, named
/// in errors) has the CUDA execution provider.
pub fn select(device: Device, has_cuda: bool, library: &Path) -> Result<Provider, InferError> {
    let Device::Cuda(n) = device else {
        return Ok(Provider::Cpu);
    };
    let err = |message: String| InferError::Device {
        device: device.to_string(),
        message,
    };
    if !has_cuda {
        return Err(err(format!(
            "the ONNX Runtime library {} has no CUDA execution provider (a CPU-only build, \
             such as the `onnxruntime` wheel's): install `onnxruntime-gpu` and set {} to its \
             onnxruntime/capi/libonnxruntime.so.* (see docs/gpu.md), or run on the CPU",
            library.display(),
            super::DYLIB_ENV
        )));
    }
    let device_id = i32::try_from(n).map_err(|_| err("no such GPU index".into()))?;
    Ok(Provider::Cuda { device_id })
}

/// Whether the loaded library has the CUDA execution provider.
pub(super) fn library_has_cuda() -> Result<bool, ort::Error> {
    use ort::ep::ExecutionProvider;
    ort::ep::CUDA::is_available()
}

/// Registers `provider` on a session being built (the CPU needs nothing).
pub(super) fn register(
    builder: &mut ort::session::builder::SessionBuilder,
    provider: Provider,
    library: &Path,
) -> Result<(), InferError> {
    use ort::ep::ExecutionProvider;
    let Provider::Cuda { device_id } = provider else {
        return Ok(());
    };
    ort::ep::CUDA::default()
        .with_device_id(device_id)
        .register(builder)
        .map_err(|e| InferError::Device {
            device: format!("cuda:{device_id}"),
            message: format!(
                "the CUDA execution provider of {} could not be started: {e} (its \
                 libonnxruntime_providers_cuda.so needs CUDA's runtime, cuBLAS and cuDNN 9 \
                 libraries on the library path, and a GPU)",
                library.display()
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = "/opt/ort/libonnxruntime.so.1.32.0";

    #[test]
    fn the_cpu_gets_the_cpu_provider_whatever_the_library() {
        for has_cuda in [false, true] {
            let p = select(Device::Cpu, has_cuda, Path::new(LIB)).unwrap();
            assert_eq!(p, Provider::Cpu);
            assert_eq!(p.name(), "CPUExecutionProvider");
        }
    }

    #[test]
    fn a_gpu_gets_the_cuda_provider_on_that_index() {
        let p = select(Device::Cuda(0), true, Path::new(LIB)).unwrap();
        assert_eq!(p, Provider::Cuda { device_id: 0 });
        assert_eq!(p.name(), "CUDAExecutionProvider");
        let p = select(Device::Cuda(3), true, Path::new(LIB)).unwrap();
        assert_eq!(p, Provider::Cuda { device_id: 3 });
    }

    #[test]
    fn a_library_without_the_cuda_provider_is_an_error_not_a_cpu_fallback() {
        let e = select(Device::Cuda(1), false, Path::new(LIB)).unwrap_err();
        assert!(
            matches!(&e, InferError::Device { device, .. } if device == "cuda:1"),
            "{e}"
        );
        let text = e.to_string();
        assert!(
            text.starts_with("device cuda:1: the ONNX Runtime library "),
            "{text}"
        );
        assert!(text.contains(LIB), "names the library: {text}");
        assert!(text.contains("no CUDA execution provider"), "{text}");
        assert!(
            text.contains("onnxruntime-gpu"),
            "says what to install: {text}"
        );
        assert!(text.contains("ORT_DYLIB_PATH"), "{text}");
    }

    #[test]
    fn an_index_onnx_runtime_cannot_take_is_an_error() {
        let e = select(Device::Cuda(u32::MAX), true, Path::new(LIB)).unwrap_err();
        assert!(e.to_string().contains("no such GPU index"), "{e}");
    }
}
