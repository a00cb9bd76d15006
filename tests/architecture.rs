//! The shape of the code, checked: the GPU runtime imports nothing from the launchers, no two
//! modules import each other (no cycle through `crate::` or `super::` paths between files), and
//! no file under src/ is longer than 500 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: src/gpu/matmul/select.rs is [gpu, matmul, select], src/gpu/mod.rs
/// is [gpu], src/lib.rs is [].
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).expect("under src/");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The file of the longest prefix of `path` that is a module, if any besides the crate root.
fn file_of(path: &[String]) -> Option<PathBuf> {
    for n in (1..=path.len()).rev() {
        let base = src().join(path[..n].join("/"));
        for candidate in [base.with_extension("rs"), base.join("mod.rs")] {
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The code without comments (line comments, doc comments) and string literals.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut kept = String::new();
        let mut in_str = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_str {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    in_str = false;
                }
                continue;
            }
            if c == '"' {
                in_str = true;
                continue;
            }
            if c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            kept.push(c);
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// Every path a file names that starts at `crate` or `super`, with `use` groups expanded, each
/// as (segments relative to the crate root).
fn paths(file: &Path, text: &str) -> Vec<Vec<String>> {
    let own = module_of(file);
    let code = code(text);
    // Code after an inline `mod name {` is one module deeper (the unit tests of a file).
    let inline_at = code
        .find("\nmod tests {")
        .or_else(|| code.find("\n    mod tests {"));
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 6)].iter().collect();
        let boundary = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        if boundary && (rest.starts_with("crate:") || rest.starts_with("super:")) {
            let end = tree_end(&bytes, i);
            let tree: String = bytes[i..end].iter().collect();
            let depth = if inline_at.is_some_and(|at| i > at) {
                1
            } else {
                0
            };
            for p in expand(&tree) {
                found.push(resolve(&own, depth, &p));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

/// Where a path (or `use` tree with braces) starting at `start` ends.
fn tree_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => break,
            _ => {}
        }
        i += 1;
    }
    i
}

/// `a::{b, c::{d, e}}` as [a::b, a::c::d, a::c::e].
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.trim_end_matches("::").to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut last) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[last..i]);
                last = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[last..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            let p = if p == "self" { "" } else { p };
            expand(&format!("{prefix}{p}"))
        })
        .collect()
}

/// A path as segments from the crate root.
fn resolve(own: &[String], depth: usize, path: &str) -> Vec<String> {
    let mut module: Vec<String> = own.to_vec();
    for _ in 0..depth {
        module.push("tests".into());
    }
    let mut segments = path.split("::").filter(|s| !s.is_empty()).peekable();
    match segments.peek() {
        Some(&"crate") => {
            module.clear();
            segments.next();
        }
        _ => {
            while segments.peek() == Some(&"super") {
                module.pop();
                segments.next();
            }
        }
    }
    module.extend(segments.map(String::from));
    module
}

struct Graph {
    edges: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

fn graph() -> Graph {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let mut targets = BTreeSet::new();
        for p in paths(&file, &text) {
            if let Some(target) = file_of(&p) {
                if target != file {
                    targets.insert(target);
                }
            }
        }
        edges.insert(file, targets);
    }
    Graph { edges }
}

fn short(p: &Path) -> String {
    p.strip_prefix(src()).unwrap_or(p).display().to_string()
}

#[test]
fn the_runtime_imports_nothing_from_the_launchers() {
    let g = graph();
    let runtime = src().join("gpu/runtime");
    let mut checked = 0;
    for (file, targets) in &g.edges {
        if !file.starts_with(&runtime) {
            continue;
        }
        checked += 1;
        for t in targets {
            assert!(
                t.starts_with(&runtime) || t == &src().join("error.rs"),
                "{} imports {}",
                short(file),
                short(t)
            );
        }
    }
    assert!(checked >= 5, "only {checked} runtime files found");
}

/// A cycle in the graph, if there is one.
fn find_cycle(g: &Graph) -> Option<Vec<PathBuf>> {
    fn visit(
        g: &Graph,
        node: &PathBuf,
        stack: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            return Some(stack[at..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in g.edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(g, next, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    g.edges
        .keys()
        .find_map(|node| visit(g, node, &mut Vec::new(), &mut done))
}

#[test]
fn no_two_modules_import_each_other() {
    let g = graph();
    if let Some(cycle) = find_cycle(&g) {
        let names: Vec<String> = cycle.iter().map(|p| short(p)).collect();
        panic!("modules import each other: {}", names.join(" -> "));
    }
    let edges: usize = g.edges.values().map(BTreeSet::len).sum();
    assert!(
        edges > 100,
        "only {edges} imports found: the scan is broken"
    );
    // And a cycle is found where there is one.
    let (a, b, c) = (PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c"));
    let mut edges = BTreeMap::new();
    edges.insert(a.clone(), BTreeSet::from([b.clone()]));
    edges.insert(b.clone(), BTreeSet::from([c.clone()]));
    edges.insert(c.clone(), BTreeSet::from([b.clone()]));
    assert_eq!(find_cycle(&Graph { edges }), Some(vec![b, c]));
}

/// Paths resolve to the files of the modules they name: `use` groups, `super`, inline paths.
#[test]
fn the_scan_resolves_paths() {
    let file = src().join("gpu/matmul/select.rs");
    let text = "use super::kernel::MatmulKernel;\nuse crate::gpu::{profile::AdapterProfile, \
                runtime::{self, Kernel}};\nfn f() { crate::layout::Layout::contiguous(&[1]); }";
    let got: Vec<String> = paths(&file, text)
        .iter()
        .filter_map(|p| file_of(p))
        .map(|p| short(&p))
        .collect();
    assert_eq!(
        got,
        [
            "gpu/matmul/kernel.rs",
            "gpu/profile.rs",
            "gpu/runtime/mod.rs",
            "gpu/runtime/mod.rs",
            "layout/mod.rs"
        ]
    );
}

#[test]
fn no_source_file_is_longer_than_500_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f)
                .expect("readable")
                .lines()
                .count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", short(f)))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

/// Browsers' WGSL compilers reject a constant expression that is not finite (Chrome's Tint:
/// "value nan cannot be represented as 'f32'"), which naga accepts: no kernel may bitcast a
/// literal or a `const` to a float. NaN and the infinities come from prelude.wgsl's
/// `nan_f32()`, `inf_f32()` and `neg_inf_f32()`, which read a private variable.
#[test]
fn no_kernel_bitcasts_a_constant_to_a_float() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("shaders/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let consts: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("const "))
            .filter_map(|l| l.split(':').next())
            .map(str::trim)
            .collect();
        for (i, line) in text.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("");
            for (at, _) in line.match_indices("bitcast<f32") {
                let arg = line[at..]
                    .split_once('(')
                    .map_or("", |(_, a)| a.trim_start());
                let literal = arg.starts_with(|c: char| c.is_ascii_digit());
                let constant = consts.iter().any(|c| arg.starts_with(&format!("{c})")));
                if literal || constant {
                    found.push(format!("{}:{}: {}", short(&path), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "constant bitcasts to f32:\n{}",
        found.join("\n")
    );
}
