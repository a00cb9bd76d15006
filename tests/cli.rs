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

/// `train_mnist --model convnet --optimizer adam` learns on a few images, saves a file that
/// `predict` loads and runs.
#[test]
fn the_convnet_trains_saves_and_predicts_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("tensorgears-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let model = dir.join("convnet.safetensors");
    let out = Command::new(example("train_mnist"))
        .args([
            "--model",
            "convnet",
            "--optimizer",
            "adam",
            "--device",
            "cpu",
        ])
        .args(["--limit", "1920", "--epochs", "1", "--save"])
        .arg(&model)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Total params: 104,202"), "{stdout}");
    let accuracy: f32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("test accuracy: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no test accuracy in\n{stdout}"));
    assert!(
        accuracy > 0.8,
        "test accuracy {accuracy} after 30 Adam steps\n{stdout}"
    );
    let out = Command::new(example("predict"))
        .args(["--device", "cpu", "--model"])
        .arg(&model)
        .args(["0", "1"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("predicted: ").count(), 2, "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
