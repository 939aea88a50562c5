//! The browser client's files (`pkg/`: its script, WASM, lazy chunks, style and the chunks'
//! manifest): what the pages call them, and how they are served.
//!
//! The build names every file after its content (cargo-leptos `hash-files`) and lists the main
//! files' hashes in `hash.txt`. Such a name never stands for two versions, so browsers keep
//! those files for good without asking again (`immutable`): a tab opened before a release
//! still finds the chunks of its own version in its cache, and a page change fetches no code
//! the tab fetched ahead. Three files are edited after they were named (the build writes the
//! chunks' new names into the main script, the main WASM and the manifest), so their names may
//! stay the same while their content changes: browsers check those three before each reuse
//! (`public, no-cache`, answered `304` while unchanged). They cannot be asked for under another name
//! either (say with `?v=`): the chunk loader imports the main script by its plain name, and a
//! module imported under two URLs runs twice. A client built without hashes keeps the plain
//! names, all checked before reuse.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::Router;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Where the build writes the hashes: in the site directory, where `scripts/release` puts them
/// so that a deployment carries them with the files they name; else beside the server binary
/// (where cargo-leptos writes them). Each is taken only if the files it names are there: a
/// debug and a release build share the site directory, and each empties it.
const HASH_FILE: &str = "hash.txt";
/// The chunks' manifest as a build without hashes names it.
const PLAIN_MANIFEST: &str = "__wasm_split_manifest.json";

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
    /// The build's output name (`namaskah`).
    pub output: String,
}

impl ClientFiles {
    /// The names of the build in `site_root` with output name `name`.
    pub fn find(site_root: &Path, name: &str) -> Self {
        let pkg = site_root.join("pkg");
        let beside_binary = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE)));
        let candidates: Vec<PathBuf> = std::iter::once(site_root.join(HASH_FILE))
            .chain(beside_binary)
            .collect();
        for path in candidates {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            match Self::from_hashes(&text, name) {
                Some(files) if files.on_disk(&pkg) => {
                    tracing::info!(path = %path.display(), "client files named by content");
                    return files;
                }
                Some(_) => {
                    tracing::warn!(path = %path.display(), "hash file of another build: its files are not in the site")
                }
                None => {
                    tracing::warn!(path = %path.display(), "hash file without the client's hashes")
                }
            }
        }
        let plain = Self::plain(name);
        if site_root.exists() && !plain.on_disk(&pkg) {
            tracing::error!(site = %site_root.display(), "the client's files are not in the site directory");
        }
        plain
    }

    /// The names a build without hashes gives.
    pub fn plain(name: &str) -> Self {
        Self {
            js: format!("{name}.js"),
            wasm: format!("{name}.wasm"),
            css: format!("{name}.css"),
            manifest: PLAIN_MANIFEST.into(),
            hashed: false,
            output: name.to_owned(),
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
                .unwrap_or_else(|| PLAIN_MANIFEST.into()),
            hashed: true,
            output: name.to_owned(),
        })
    }

    /// Whether the script, the WASM and the style are in `pkg`.
    fn on_disk(&self, pkg: &Path) -> bool {
        [&self.js, &self.wasm, &self.css]
            .iter()
            .all(|f| pkg.join(f).is_file())
    }

    /// How browsers may keep the file `name` (see the module doc). The three edited files are
    /// told by the shape of their names, not by this build's names: the directory may hold
    /// another release's too (kept for the tabs open on it, or put in place before this
    /// instance restarts), and such a name can come back with other content. They are `public`
    /// like every file here: what a signed-in browser is sent otherwise is kept by no cache.
    fn cache_control(&self, name: &str) -> &'static str {
        let main = name.strip_prefix(self.output.as_str()).is_some_and(|rest| {
            rest.starts_with('.') && (rest.ends_with(".js") || rest.ends_with(".wasm"))
        });
        let edited_after_naming = main || name.starts_with("__wasm_split_manifest.");
        if self.hashed && !edited_after_naming {
            "public, max-age=31536000, immutable"
        } else {
            "public, no-cache"
        }
    }
}

/// `pkg/` under `site_root`, with the stored `.br` and `.gz` where the release has them, and
/// `304` for a conditional request while a file is unchanged. (Leptos's file handler, which
/// serves the public assets, passes on no conditional header, so every revalidation would
/// resend the whole file.) Only a file found is kept: an instance of another release may not
/// have it yet, so a `404` is kept by nobody.
pub fn router(site_root: &Path, files: Arc<ClientFiles>) -> Router {
    let served = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(served)
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let files = files.clone();
                async move {
                    let name = req.uri().path().rsplit('/').next().unwrap_or_default();
                    let keep = files.cache_control(name);
                    let mut r = next.run(req).await;
                    let found = r.status().is_success() || r.status() == StatusCode::NOT_MODIFIED;
                    let value = HeaderValue::from_static(if found { keep } else { "no-store" });
                    r.headers_mut().insert(header::CACHE_CONTROL, value);
                    r
                }
            },
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
        assert_eq!(
            files.cache_control("chunk_3.Qq1.wasm"),
            "public, max-age=31536000, immutable"
        );
        // This build's, or another release's left beside them.
        for edited in [
            "namaskah.AbC.js",
            "namaskah.dEf.wasm",
            "__wasm_split_manifest.MMM.json",
            "namaskah.Older.js",
            "namaskah.Older.wasm",
            "__wasm_split_manifest.Older.json",
        ] {
            assert_eq!(files.cache_control(edited), "public, no-cache", "{edited}");
        }
        for kept in [
            "namaskah.x_y-z.css",
            "__wasm_split.SSS.js",
            "chunk_1.Q.wasm",
        ] {
            assert_eq!(
                files.cache_control(kept),
                "public, max-age=31536000, immutable",
                "{kept}"
            );
        }
        assert_eq!(
            ClientFiles::from_hashes("js: A\nwasm: B\n", "namaskah"),
            None
        );
        let plain = ClientFiles::find(Path::new("/nonexistent"), "namaskah");
        assert_eq!(plain, ClientFiles::plain("namaskah"));
        assert_eq!(plain.cache_control("chunk_3.wasm"), "public, no-cache");
    }

    #[test]
    fn a_hash_file_whose_files_are_gone_is_passed_over() {
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::write(site.path().join(HASH_FILE), "js: A\nwasm: B\ncss: C\n").unwrap();
        // Another build's hashes: its files are not there.
        assert_eq!(
            ClientFiles::find(site.path(), "namaskah"),
            ClientFiles::plain("namaskah")
        );
        for file in ["namaskah.A.js", "namaskah.B.wasm", "namaskah.C.css"] {
            std::fs::write(pkg.join(file), file).unwrap();
        }
        let files = ClientFiles::find(site.path(), "namaskah");
        assert_eq!(files.js, "namaskah.A.js");
        assert!(files.hashed);
    }
}
