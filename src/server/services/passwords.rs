//! Password hashing (argon2id) on a small fixed set of threads, with a bounded wait.
//!
//! Each argon2 hash takes 19 MiB and tens of milliseconds of one core. Run on tokio's
//! blocking pool, as many run at once as requests arrive (up to 512 threads, each with its own
//! allocator arena that keeps the memory): 300 anonymous sign-ins took the server to 7 GB.
//! Here at most `threads` hashes run at once, always on the same threads, each in memory mapped
//! for it and given back after it (so at most that many 19 MiB blocks are ever held, and none
//! when idle), and a request that cannot get a thread within `wait` is answered 503 with
//! `Retry-After` instead of queueing without end.

use crate::server::ServerError;
use anyhow::Context;
use argon2::password_hash::{self, Output, ParamsString, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version};
use rand::rngs::OsRng;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and the admission to them. Cloning shares the same threads.
#[derive(Clone)]
pub struct PasswordPool {
    /// One permit per thread: a job is handed over only with a permit, so the channel (of the
    /// same capacity) never blocks the async caller.
    permits: Arc<Semaphore>,
    jobs: SyncSender<Job>,
    wait: Duration,
}

impl PasswordPool {
    /// Starts `threads` hashing threads (at least one). They end when the last clone is dropped.
    pub fn start(threads: usize, wait: Duration) -> anyhow::Result<Self> {
        let threads = threads.max(1);
        let (jobs, queue) = sync_channel::<Job>(threads);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || work(&queue))
                .context("Failed to start a password hashing thread")?;
        }
        Ok(PasswordPool {
            permits: Arc::new(Semaphore::new(threads)),
            jobs,
            wait,
        })
    }

    /// Waits for a free hashing thread, at most the configured time; past it, `Busy` (503
    /// with `Retry-After`). Take the slot before any other work a sign-in does (its database
    /// lookup included), so a flood of sign-ins waits here and costs nothing else.
    pub async fn slot(&self) -> Result<HashSlot, ServerError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                tracing::warn!("every password hashing thread stayed busy; answering 503");
                ServerError::Busy {
                    message: "too many sign-ins at once; try again in a moment",
                    retry_after_secs: self.wait.as_secs().max(1),
                }
            })?
            .context("the password hashing pool is closed")?;
        Ok(HashSlot {
            permit,
            jobs: self.jobs.clone(),
        })
    }
}

/// A hashing thread reserved for one hash or check, which uses it up.
pub struct HashSlot {
    permit: OwnedSemaphorePermit,
    jobs: SyncSender<Job>,
}

impl HashSlot {
    /// Hashes a new password (argon2id, default parameters, a fresh salt) into a PHC string.
    pub async fn hash(self, password: String) -> Result<String, ServerError> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            let hash = argon2(
                password.as_bytes(),
                Algorithm::default(),
                Version::default(),
                Params::default(),
                salt.as_salt(),
            )?;
            anyhow::Ok(hash.to_string())
        })
        .await?
        .map_err(ServerError::from)
    }

    /// Checks a password against a stored hash. With no stored hash (unknown email) it checks
    /// against a dummy one, so both answers take about as long.
    pub async fn verify(
        self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, ServerError> {
        static DUMMY: LazyLock<String> = LazyLock::new(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(b"not a real password at all", &salt)
                .expect("argon2 hashes a constant")
                .to_string()
        });
        self.run(move || {
            let known = stored.is_some();
            let ok = verify(password.as_bytes(), stored.as_deref().unwrap_or(&DUMMY))?;
            anyhow::Ok(known && ok)
        })
        .await?
        .map_err(ServerError::from)
    }

    /// Runs `work` on the reserved thread; the thread is free again when it is done.
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServerError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let permit = self.permit;
        self.jobs
            .send(Box::new(move || {
                let _permit = permit;
                let _ = done.send(work());
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads have stopped"))?;
        Ok(result
            .await
            .context("a password hashing thread dropped its job")?)
    }
}

/// Argon2 in memory mapped from the kernel for this one hash and unmapped when it is done.
/// `Argon2::hash_password` allocates its 19 MiB through malloc and frees it; glibc then raises
/// its threshold for mapping large blocks and serves the next ones from a heap that small
/// allocations fragment: 500 sign-ins left 390 MiB held, even on two threads. Keeping one
/// buffer per thread instead held 19 MiB per thread for good (+26 MiB in the API benchmark).
/// Mapped per hash, the memory is the system's again the moment the hash is done.
fn argon2<'a>(
    password: &[u8],
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Salt<'a>,
) -> password_hash::Result<PasswordHash<'a>> {
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf)?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut blocks =
        MappedBlocks::new(params.block_count()).map_err(|_| password_hash::Error::Crypto)?;
    let hasher = Argon2::new(algorithm, version, params.clone());
    let output = Output::init_with(output_len, |out| {
        hasher
            .hash_password_into_with_memory(password, salt_bytes, out, blocks.as_mut())
            .map_err(password_hash::Error::from)
    })?;
    Ok(PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(output),
    })
}

/// `len` argon2 blocks in an anonymous private mapping of their own (zeroed, page-aligned),
/// unmapped on drop.
struct MappedBlocks {
    ptr: std::ptr::NonNull<Block>,
    len: usize,
}

impl MappedBlocks {
    fn new(len: usize) -> std::io::Result<Self> {
        let bytes = len.max(1) * std::mem::size_of::<Block>();
        // SAFETY: an anonymous private mapping with no address hint touches no existing
        // memory; the result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let ptr =
            std::ptr::NonNull::new(ptr.cast::<Block>()).ok_or(std::io::ErrorKind::OutOfMemory)?;
        Ok(MappedBlocks { ptr, len })
    }
}

impl AsMut<[Block]> for MappedBlocks {
    fn as_mut(&mut self) -> &mut [Block] {
        // SAFETY: the mapping holds `len` blocks, is page-aligned (more than `Block`'s 64
        // bytes), zero-filled (a valid `Block`: it is plain words) and ours alone until drop.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for MappedBlocks {
    fn drop(&mut self) {
        let bytes = self.len.max(1) * std::mem::size_of::<Block>();
        // SAFETY: unmaps exactly the mapping made in `new`, which nothing borrows any more.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), bytes);
        }
    }
}

// SAFETY: the mapping is owned memory like a `Vec<Block>`'s.
unsafe impl Send for MappedBlocks {}

/// Whether `password` hashes to the stored PHC string, with the stored parameters.
fn verify(password: &[u8], stored: &str) -> anyhow::Result<bool> {
    let stored = PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        anyhow::bail!("stored hash has no salt or no output");
    };
    let algorithm =
        Algorithm::try_from(stored.algorithm).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let version = match stored.version {
        Some(v) => Version::try_from(v).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?,
        None => Version::default(),
    };
    let params = Params::try_from(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let computed = argon2(password, algorithm, version, params, salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    // `Output`'s equality is constant-time.
    Ok(computed.hash.as_ref() == Some(&expected))
}

/// A hashing thread: takes jobs one at a time until every sender is gone. It runs at a lower
/// priority (nice 10; on Linux, niceness is per thread), so a burst of sign-ins that keeps
/// every hashing thread busy still leaves the cores to the requests being served.
fn work(queue: &Mutex<Receiver<Job>>) {
    // SAFETY: setpriority only reads its integer arguments; `0` names the calling thread.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) } != 0 {
        tracing::debug!("could not lower the password hashing thread's priority");
    }
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify() {
        let pool = PasswordPool::start(1, Duration::from_secs(30)).unwrap();
        let h = pool.slot().await.unwrap();
        let h = h.hash("correct horse battery".into()).await.unwrap();
        let check = |pw: &str, stored: Option<String>| {
            let (pool, pw) = (pool.clone(), pw.to_owned());
            async move { pool.slot().await.unwrap().verify(pw, stored).await.unwrap() }
        };
        assert!(check("correct horse battery", Some(h.clone())).await);
        assert!(!check("wrong horse battery", Some(h)).await);
        assert!(!check("not a real password at all", None).await);
    }

    #[test]
    fn hashes_are_standard_phc_strings_that_argon2_itself_verifies() {
        use argon2::PasswordVerifier;
        let salt = SaltString::generate(&mut OsRng);
        let ours = argon2(
            b"pw one",
            Algorithm::default(),
            Version::default(),
            Params::default(),
            salt.as_salt(),
        )
        .unwrap()
        .to_string();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"pw one", &parsed)
            .is_ok());
        // And hashes made by argon2 itself (as stored before) verify here.
        let theirs = Argon2::default()
            .hash_password(b"pw two", &salt)
            .unwrap()
            .to_string();
        assert!(verify(b"pw two", &theirs).unwrap());
        assert!(!verify(b"pw one", &theirs).unwrap());
        // Other parameters (another amount of memory) give what argon2 itself gives.
        let small = Params::new(1024, 1, 1, None).unwrap();
        let a = argon2(
            b"x",
            Algorithm::default(),
            Version::default(),
            small.clone(),
            salt.as_salt(),
        )
        .unwrap()
        .to_string();
        let b = Argon2::new(Algorithm::default(), Version::default(), small)
            .hash_password(b"x", &salt)
            .unwrap()
            .to_string();
        assert_eq!(a, b);
    }

    #[tokio::test]
    async fn a_caller_that_cannot_get_a_thread_in_time_is_told_to_retry() {
        let pool = PasswordPool::start(1, Duration::from_millis(50)).unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let slot = pool.slot().await.unwrap();
        let busy = tokio::spawn(slot.run(move || held.recv().is_ok()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let refused = pool.slot().await.map(|_| ());
        assert!(matches!(
            refused,
            Err(ServerError::Busy {
                retry_after_secs: 1,
                ..
            })
        ));
        release.send(()).unwrap();
        assert!(busy.await.unwrap().unwrap());
        // Once the thread is free again, the next caller gets it.
        pool.slot().await.unwrap().run(|| ()).await.unwrap();
    }
}
