//! Embeds the console's built assets (`web/dist`, made by `npm run build` in `web/`) with their
//! content type, a gzip copy and an ETag, so the component serves them with no file system.

use std::fmt::Write as _;
use std::io::Write as _;

use sha2::Digest as _;
use std::path::{Path, PathBuf};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dist = manifest.join("web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    if !dist.join("index.html").is_file() {
        panic!(
            "{} has no built console; run `make console` (npm ci && npm run build in functions/console/web)",
            dist.display()
        );
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut list = Vec::new();
    files(&dist, &mut list);
    let mut code =
        String::from("/// Every built asset, by URL path.\npub static ASSETS: &[Asset] = &[\n");
    for (i, path) in list.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", path.display());
        let body = std::fs::read(path).unwrap();
        let url = format!(
            "/{}",
            path.strip_prefix(&dist)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        );
        let etag = format!("\"{}\"", &hex::encode(sha2::Sha256::digest(&body))[..32]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&body).unwrap();
        let gz = gz.finish().unwrap();
        // A compressed copy only where it is smaller.
        let gz_path = out.join(format!("asset{i}.gz"));
        let gzip = if gz.len() + 64 < body.len() {
            std::fs::write(&gz_path, &gz).unwrap();
            format!("Some(include_bytes!({:?}))", gz_path.display().to_string())
        } else {
            "None".to_string()
        };
        writeln!(
            code,
            "    Asset {{ path: {url:?}, content_type: {:?}, body: include_bytes!({:?}), gzip: {gzip}, etag: {etag:?} }},",
            content_type(path),
            path.display().to_string(),
        )
        .unwrap();
    }
    code.push_str("];\n");
    std::fs::write(out.join("assets.rs"), code).unwrap();
}
