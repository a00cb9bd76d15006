//! The examples as a user runs them: `cargo test` builds them beside the test binaries.
use std::path::PathBuf;
use std::process::Command;

/// The example binary `name` of this build (target/<profile>/examples/<name>).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path = dir.join("examples").join(name);
    assert!(path.is_file(), "{} is not built", path.display());
    path
}

/// An unwritable --save fails before any data is read or any epoch runs.
#[test]
fn train_mnist_checks_its_output_paths_first() {
    let out = Command::new(example("train_mnist"))
        .args([
            "--save",
            "/no/such/dir/model.safetensors",
            "--device",
            "cpu",
        ])
        .env("MNIST_DIR", "/no/such/mnist")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stderr.contains("/no/such/dir/model.safetensors") && stderr.contains("nothing was trained"),
        "{stderr}"
    );
    assert!(!stdout.contains("epoch"), "{stdout}");
}
