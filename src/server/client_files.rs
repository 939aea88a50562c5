//! The browser client's files (`pkg/`: its script, WASM, lazy chunks, style and the chunks'
//! manifest): what they are called, and how they are served.
//!
//! The build names every one of them after its content (cargo-leptos `hash-files`), and lists
//! the main files' hashes in `hash.txt`. A name then never stands for two versions, so a
//! browser keeps each file for good without asking again (`immutable`), a tab opened before a
//! release still finds the chunks of its own version in its cache, and a page change fetches
//! no code the tab fetched ahead. A client built without hashes (no `hash.txt`) keeps the plain
//! names, and browsers check those before each reuse (`no-cache`, answered `304`).

use axum::http::{header, HeaderValue};
use axum::Router;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Where the build writes the hashes: beside the server binary (cargo-leptos), read first, as
/// it is that build's own; else in the site directory, where `scripts/release` puts a copy so
/// that a deployment can carry the hashes with the files they name.
const HASH_FILE: &str = "hash.txt";

/// The names of the client's files in `pkg/`, as the pages refer to them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFiles {
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The lazy chunks' manifest (`__wasm_split_manifest.json`): the page fetches the chunks
    /// it lists ahead, at idle.
    pub manifest: String,
    /// Whether the names carry their content's hash.
    pub hashed: bool,
}

impl ClientFiles {
    /// The names of the build in `site_root` with output name `name`.
    pub fn find(site_root: &Path, name: &str) -> Self {
        let beside_binary = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE)));
        let candidates: Vec<PathBuf> = beside_binary
            .into_iter()
            .chain(std::iter::once(site_root.join(HASH_FILE)))
            .collect();
        for path in candidates {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if let Some(files) = Self::from_hashes(&text, name) {
                    tracing::info!(path = %path.display(), "client files named by content");
                    return files;
                }
                tracing::warn!(path = %path.display(), "hash file without the client's hashes");
            }
        }
        Self::plain(name)
    }

    /// The names a build without hashes gives.
    pub fn plain(name: &str) -> Self {
        Self {
            js: format!("{name}.js"),
            wasm: format!("{name}.wasm"),
            css: format!("{name}.css"),
            manifest: "__wasm_split_manifest.json".into(),
            hashed: false,
        }
    }

    /// The names `hash.txt` gives (lines `js: H`, `wasm: H`, `css: H`, `manifest: H`, …);
    /// `None` unless it has the script's, the WASM's and the style's.
    pub fn from_hashes(text: &str, name: &str) -> Option<Self> {
        let hash = |kind: &str| {
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, h)| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        };
        Some(Self {
            js: format!("{name}.{}.js", hash("js")?),
            wasm: format!("{name}.{}.wasm", hash("wasm")?),
            css: format!("{name}.{}.css", hash("css")?),
            manifest: hash("manifest")
                .map(|h| format!("__wasm_split_manifest.{h}.json"))
                .unwrap_or_else(|| "__wasm_split_manifest.json".into()),
            hashed: true,
        })
    }

    /// How browsers may keep them.
    fn cache_control(&self) -> &'static str {
        if self.hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }
    }
}

/// `pkg/` under `site_root`, with the stored `.br` and `.gz` where the release has them, and
/// `304` for a conditional request while a file is unchanged. (Leptos's file handler, which
/// serves the public assets, passes on no conditional header, so every revalidation would
/// resend the whole file.)
pub fn router(site_root: &Path, files: &ClientFiles) -> Router {
    let served = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(served)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static(files.cache_control()),
        ))
        // A stored `.br` or `.gz` is chosen by the request's Accept-Encoding: a shared cache
        // must not give one to a client that did not ask for it.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_hash_file_or_stay_plain() {
        let text = "js: AbC\nwasm: dEf\ncss: x_y-z\nmanifest: MMM\nsplit: SSS\n";
        let files = ClientFiles::from_hashes(text, "namaskah").unwrap();
        assert_eq!(files.js, "namaskah.AbC.js");
        assert_eq!(files.wasm, "namaskah.dEf.wasm");
        assert_eq!(files.css, "namaskah.x_y-z.css");
        assert_eq!(files.manifest, "__wasm_split_manifest.MMM.json");
        assert_eq!(files.cache_control(), "public, max-age=31536000, immutable");
        assert_eq!(
            ClientFiles::from_hashes("js: A\nwasm: B\n", "namaskah"),
            None
        );
        let plain = ClientFiles::find(Path::new("/nonexistent"), "namaskah");
        assert_eq!(plain, ClientFiles::plain("namaskah"));
        assert_eq!(plain.cache_control(), "no-cache");
    }
}
