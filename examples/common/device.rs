//! The `--device` flag shared by the examples.
#![allow(dead_code)] // each example uses some of these

use clap::ValueEnum;
use tensorgears::Device;

/// Which device an example runs on.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DeviceArg {
    /// A real GPU if there is one, else the CPU (a CPU-emulated adapter such as lavapipe is
    /// slower than the CPU path, so it is skipped).
    Auto,
    /// The GPU adapter wgpu finds, even a CPU-emulated one.
    Gpu,
    /// The CPU path.
    Cpu,
}

/// Opens the device asked for, saying why when `auto` falls back to the CPU.
pub fn pick(arg: DeviceArg) -> tensorgears::Result<Device> {
    match arg {
        DeviceArg::Cpu => Ok(Device::cpu()),
        DeviceArg::Gpu => Device::gpu(),
        DeviceArg::Auto => {
            // Device::auto decides; this only says why it chose the CPU.
            let dev = Device::auto();
            if dev.is_cpu() {
                match Device::gpu() {
                    Ok(d) => println!("only a CPU-emulated GPU adapter ({d}) was found: running on the CPU path, which is faster here (--device gpu uses the adapter anyway)"),
                    Err(e) => println!("no GPU: running on the CPU ({e})"),
                }
            }
            Ok(dev)
        }
    }
}
