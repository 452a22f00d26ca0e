//! The one place that touches an output directory: it writes all files or none, and never
//! deletes what wattshift did not write.
//!
//! # Rules (docs/FORMAT.md, "The output directory")
//! - OUT may be new, empty, or an earlier wattshift output: a directory whose marker file
//!   [`MARKER`] was written by wattshift and lists every entry the directory holds. Anything
//!   else (a directory with other files, a file) is refused with [`OutputError::WouldDestroy`]
//!   unless `force` is set.
//! - OUT must not be, nor contain, a directory the run read its input from (the instance):
//!   that is refused even with `force`, since it would delete the input.
//! - The files go to a staging directory beside OUT, which then takes OUT's place in one
//!   step: on Linux `renameat2(RENAME_EXCHANGE)` swaps the two directories atomically, so a
//!   kill at any moment leaves the old complete output or the new one. Where the exchange is
//!   not supported, OUT is renamed aside and the staging directory renamed in; a kill between
//!   the two leaves the old output aside, and the next run puts it back before anything else.
//! - Two runs writing the same OUT at once take turns: the write holds an exclusive lock on
//!   OUT's parent directory (`flock`), and a run that finds it held waits, saying so on stderr.
//! - Staging and set-aside directories left by killed runs are swept under that lock: each is
//!   removed only if it carries the marker (or is empty).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The marker file wattshift writes into every output directory.
pub const MARKER: &str = ".wattshift-output";

/// The marker's first line; a marker file that does not start with it is not wattshift's.
const MARKER_MAGIC: &str = "wattshift output directory v1";

/// What may be replaced and what must be kept.
#[derive(Debug, Clone, Default)]
pub struct OutputRules {
    /// Replace OUT even when it holds files wattshift did not write (`--force`).
    pub force: bool,
    /// Directories that OUT must not be nor contain (the instance read).
    pub protected: Vec<PathBuf>,
    /// Called with OUT when another run holds the lock and this one starts to wait (the
    /// binary tells the user; the library prints nothing).
    pub on_wait: Option<fn(&Path)>,
}

/// Why an output directory was not written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// OUT holds something wattshift did not write, and `force` is not set.
    #[error(
        "{out} holds {what}, which wattshift did not write and would delete: choose a new or \
         empty directory, or pass --force to replace it"
    )]
    WouldDestroy {
        /// OUT as given.
        out: String,
        /// What would be lost.
        what: String,
    },
    /// OUT is a file or a symbolic link, and `force` is not set.
    #[error(
        "{out} is {what}, not an output directory, and wattshift would replace it: choose a new \
         or empty directory, or pass --force to replace it"
    )]
    NotADirectory {
        /// OUT as given.
        out: String,
        /// A file, or a symbolic link.
        what: &'static str,
    },
    /// OUT is, or contains, a directory the run reads from.
    #[error(
        "{out} is or contains the instance directory {protected}; writing there would delete \
         the input. Choose another --out directory"
    )]
    HoldsInput {
        /// OUT as given.
        out: String,
        /// The instance directory.
        protected: String,
    },
    /// OUT names no directory (`/`, `..`, an empty path).
    #[error("{0} names no directory to write; choose a directory such as out/plan")]
    NoName(String),
    /// A single output file exists already (or is a directory) and `force` is not set.
    #[error(
        "{out} exists; wattshift does not overwrite a file it was not asked to replace. Choose \
         a new name, or pass --force to replace it"
    )]
    FileExists {
        /// The file as given.
        out: String,
    },
    /// A single output file would replace a file the run reads.
    #[error("{out} is an input of this run; choose another path for the output")]
    IsInput {
        /// The file as given.
        out: String,
    },
    /// A single output file is named where a directory stands.
    #[error(
        "{out} is a directory; an output file never replaces one, even with --force: choose a \
         file name"
    )]
    IsADirectory {
        /// The file as given.
        out: String,
    },
    /// A single output file would be written inside a directory the run reads or replaces.
    #[error(
        "{out} lies inside {protected}, which this run reads or replaces; choose a path outside \
         it"
    )]
    FileInside {
        /// The file as given.
        out: String,
        /// The directory.
        protected: String,
    },
    /// A single output file could not be produced.
    #[error("cannot write {out}: {message}")]
    Writer {
        /// The file as given.
        out: String,
        /// What went wrong.
        message: String,
    },
    /// Two targets of one command name the same file or directory, or one lies inside the
    /// other: the second write would replace or delete the first.
    #[error(
        "{first} and {second} name the same place, or one lies inside the other; choose a \
         separate path for each"
    )]
    SameTarget {
        /// The first target as given.
        first: String,
        /// The second target as given.
        second: String,
    },
    /// The file system refused.
    #[error("cannot write {out}: {source}")]
    Io {
        /// OUT as given.
        out: String,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
}

impl OutputError {
    fn io(out: &Path, source: std::io::Error) -> OutputError {
        OutputError::Io {
            out: out.display().to_string(),
            source,
        }
    }
}

/// The marker's text: its magic line, then one line per entry wattshift wrote.
fn marker_text(files: &[(&str, Vec<u8>)]) -> String {
    let mut text = format!("{MARKER_MAGIC}\n");
    text.push_str(
        "# Written by wattshift. The next run that writes here replaces this directory\n",
    );
    text.push_str("# whole, as long as it holds only the entries listed below.\n");
    for (name, _) in files {
        text.push_str(name);
        text.push('\n');
    }
    text
}

/// The entries a marker lists, or `None` when `dir` has no wattshift marker.
fn marker_entries(dir: &Path) -> Option<Vec<String>> {
    let text = fs::read_to_string(dir.join(MARKER)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != MARKER_MAGIC {
        return None;
    }
    Some(
        lines
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(String::from)
            .collect(),
    )
}

/// Entries of `dir` that its marker does not account for (all of them without a marker).
fn foreign_entries(dir: &Path) -> std::io::Result<Vec<String>> {
    let listed = marker_entries(dir);
    let mut foreign = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().to_string();
        // A marker's temporary copy, left by a run killed while it added a file, is ours too.
        let ours = name == MARKER
            || name
                .strip_prefix(MARKER)
                .is_some_and(|rest| rest.starts_with(".partial-"));
        if listed
            .as_ref()
            .is_some_and(|listed| ours || listed.contains(&name))
        {
            continue;
        }
        foreign.push(name);
    }
    foreign.sort();
    Ok(foreign)
}

/// A short listing of what would be lost: up to five names and a count.
fn describe_entries(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(5).map(|n| format!("'{n}'")).collect();
    let more = names.len().saturating_sub(5);
    let noun = if names.len() == 1 { "entry" } else { "entries" };
    if more > 0 {
        format!(
            "{} {noun} ({} and {more} more)",
            names.len(),
            shown.join(", ")
        )
    } else {
        format!("{} {noun} ({})", names.len(), shown.join(", "))
    }
}

/// `path` made absolute with symbolic links resolved; for a path that does not exist yet, its
/// nearest existing ancestor is resolved and the rest appended.
fn resolve(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("."))
            .join(path)
    };
    let mut rest = Vec::new();
    let mut current = absolute.as_path();
    loop {
        if let Ok(resolved) = current.canonicalize() {
            let mut out = resolved;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (current.parent(), current.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                current = parent;
            }
            _ => return absolute,
        }
    }
}

/// Everything one command writes (output directories and single files) and everything it
/// reads, checked together before any work: the one check every writing command makes
/// (docs/FORMAT.md §3), so that a run whose outputs could not all be kept is refused before it
/// writes anything.
#[derive(Debug, Clone, Default)]
pub struct Writes {
    /// Output directories (`--out`, `--report DIR`): new, empty, or an earlier output unless
    /// `force`; never the input nor holding it.
    pub dirs: Vec<PathBuf>,
    /// Single output files (`--placement`, `--out FILE`, `--output`, `--export-*`,
    /// `--write-model`): never inside an input or an output directory, never over an existing
    /// file unless `force`, never a directory.
    pub files: Vec<PathBuf>,
    /// What the command reads: instance directories, output directories it reads back, input
    /// files. No target may be one, lie inside one, or (for directories) hold one.
    pub inputs: Vec<PathBuf>,
    /// Replace existing files and foreign output directories (`--force`).
    pub force: bool,
}

impl Writes {
    /// Checks every target under the rules above, and that no two targets are the same entry
    /// or lie inside one another. Touches nothing.
    pub fn check(&self) -> Result<(), OutputError> {
        let targets: Vec<(&PathBuf, bool)> = self
            .dirs
            .iter()
            .map(|d| (d, true))
            .chain(self.files.iter().map(|f| (f, false)))
            .collect();
        let entries: Vec<Option<PathBuf>> = targets.iter().map(|(p, _)| output_entry(p)).collect();
        for (i, a) in entries.iter().enumerate() {
            for (j, b) in entries.iter().enumerate().skip(i + 1) {
                let (Some(a), Some(b)) = (a, b) else { continue };
                if a.starts_with(b) || b.starts_with(a) {
                    return Err(OutputError::SameTarget {
                        first: targets[i].0.display().to_string(),
                        second: targets[j].0.display().to_string(),
                    });
                }
            }
        }
        let rules = OutputRules {
            force: self.force,
            protected: self.inputs.clone(),
            on_wait: None,
        };
        for dir in &self.dirs {
            check_output_dir(dir, &rules)?;
        }
        let around: Vec<PathBuf> = self.inputs.iter().chain(&self.dirs).cloned().collect();
        for file in &self.files {
            check_output_file(file, &around, self.force)?;
        }
        Ok(())
    }
}

/// Checks that `path` may be written as one output file: not inside (or the same as) any of
/// `protected`, not a directory, and not an existing file unless `force`. Called before any
/// work, so that a run whose file could not be kept is refused at once.
pub fn check_output_file(
    path: &Path,
    protected: &[PathBuf],
    force: bool,
) -> Result<(), OutputError> {
    let shown = || path.display().to_string();
    let Some(entry) = output_entry(path) else {
        return Err(OutputError::NoName(shown()));
    };
    for dir in protected {
        let dir_resolved = resolve(dir);
        if entry == dir_resolved || resolve(&entry) == dir_resolved {
            return Err(OutputError::IsInput { out: shown() });
        }
        if entry.starts_with(&dir_resolved) {
            return Err(OutputError::FileInside {
                out: shown(),
                protected: dir.display().to_string(),
            });
        }
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(OutputError::IsADirectory { out: shown() }),
        Ok(_) if !force => Err(OutputError::FileExists { out: shown() }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OutputError::io(path, e)),
    }
}

/// Writes one output file atomically after [`check_output_file`]: `write` fills a temporary
/// file beside `path` (with the same extension, for writers that choose a format by it), which
/// then takes `path`'s name in one step; an existing file is replaced only with `force`, and
/// on any error nothing is left behind.
pub fn write_output_file(
    path: &Path,
    protected: &[PathBuf],
    force: bool,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), OutputError> {
    check_output_file(path, protected, force)?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let suffix = path
        .extension()
        .map_or(String::new(), |e| format!(".{}", e.to_string_lossy()));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".wattshift-").suffix(&suffix);
    // An output file gets the mode any new file gets (0666 less the umask), not a temporary
    // file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let temp = builder
        .tempfile_in(parent)
        .map_err(|e| OutputError::io(path, e))?;
    write(temp.path()).map_err(|message| OutputError::Writer {
        out: path.display().to_string(),
        message,
    })?;
    temp.as_file()
        .sync_all()
        .map_err(|e| OutputError::io(path, e))?;
    let persisted = if force {
        temp.persist(path).map(|_| ())
    } else {
        temp.persist_noclobber(path).map(|_| ())
    };
    persisted.map_err(|e| match e.error.kind() {
        std::io::ErrorKind::AlreadyExists => OutputError::FileExists {
            out: path.display().to_string(),
        },
        _ => OutputError::io(path, e.error),
    })
}

/// Adds (or replaces) one file in an existing wattshift output directory, such as report.html
/// beside a plan's outputs, keeping the directory's rules: OUT must be an output that wattshift
/// wrote and holds nothing else (or `force`), and the file is written atomically. The marker
/// lists the file before it appears, and its temporary copy while it is written, so that a
/// kill at any moment leaves nothing the next run would take for a user's file.
pub fn add_output_file(
    out: &Path,
    name: &str,
    bytes: &[u8],
    rules: &OutputRules,
) -> Result<(), OutputError> {
    let shown = || out.display().to_string();
    if marker_entries(out).is_none() {
        return Err(OutputError::WouldDestroy {
            out: shown(),
            what: "no wattshift marker".to_string(),
        });
    }
    check_output_dir(out, rules)?;
    let parent = output_entry(out)
        .and_then(|entry| entry.parent().map(Path::to_path_buf))
        .ok_or_else(|| OutputError::NoName(shown()))?;
    let _lock = lock_dir(&parent, out, rules.on_wait).map_err(|e| OutputError::io(out, e))?;
    check_output_dir(out, rules)?;
    let partial = format!(".{name}.partial-{}", std::process::id());
    let mut listed = marker_entries(out).unwrap_or_default();
    for entry in [name.to_string(), partial.clone()] {
        if !listed.contains(&entry) {
            listed.push(entry);
        }
    }
    let write_marker = |entries: &[String]| -> std::io::Result<()> {
        let files: Vec<(&str, Vec<u8>)> =
            entries.iter().map(|e| (e.as_str(), Vec::new())).collect();
        let temp = out.join(format!("{MARKER}.partial-{}", std::process::id()));
        let mut f = fs::File::create(&temp)?;
        f.write_all(marker_text(&files).as_bytes())?;
        f.sync_all()?;
        fs::rename(&temp, out.join(MARKER))
    };
    let result = (|| -> std::io::Result<()> {
        write_marker(&listed)?;
        let mut f = fs::File::create(out.join(&partial))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(out.join(&partial), out.join(name))?;
        listed.retain(|e| *e != partial);
        write_marker(&listed)
    })();
    if result.is_err() {
        let _ = fs::remove_file(out.join(&partial));
    }
    if let Ok(dir) = fs::File::open(out) {
        let _ = dir.sync_all();
    }
    result.map_err(|e| OutputError::io(out, e))
}

/// `out` as the directory entry that would be replaced: its parent resolved, its own name
/// kept (so that a symbolic link is replaced, not its target); `.` and `..` are resolved to
/// the directory they name. `None` for the root, which names no entry.
fn output_entry(out: &Path) -> Option<PathBuf> {
    if out.as_os_str().is_empty() {
        return None;
    }
    match out.file_name() {
        Some(name) => {
            let parent = match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            Some(resolve(parent).join(name))
        }
        None => {
            let resolved = resolve(out);
            resolved.file_name().is_some().then_some(resolved)
        }
    }
}

/// Checks whether `out` may be replaced under `rules`, touching nothing.
pub fn check_output_dir(out: &Path, rules: &OutputRules) -> Result<(), OutputError> {
    let Some(resolved_out) = output_entry(out) else {
        return Err(OutputError::NoName(out.display().to_string()));
    };
    let shown = out.display().to_string();
    let out = resolved_out.as_path();
    for protected in &rules.protected {
        let resolved = resolve(protected);
        if resolved.starts_with(&resolved_out) {
            return Err(OutputError::HoldsInput {
                out: shown,
                protected: protected.display().to_string(),
            });
        }
    }
    let meta = match fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(OutputError::io(out, e)),
    };
    // Inside an input, only an earlier output (or an empty directory) may be replaced, even with
    // --force: anything else there is part of the input.
    let inside_input = rules
        .protected
        .iter()
        .find(|p| out.starts_with(resolve(p)) && out != resolve(p));
    if let Some(protected) = inside_input {
        let ours = meta.is_dir()
            && foreign_entries(out)
                .map_err(|e| OutputError::io(out, e))?
                .is_empty();
        if !ours {
            return Err(OutputError::FileInside {
                out: shown,
                protected: protected.display().to_string(),
            });
        }
    }
    if rules.force {
        return Ok(());
    }
    if !meta.is_dir() {
        let what = if meta.file_type().is_symlink() {
            "a symbolic link"
        } else {
            "a file"
        };
        return Err(OutputError::NotADirectory { out: shown, what });
    }
    let foreign = foreign_entries(out).map_err(|e| OutputError::io(out, e))?;
    if foreign.is_empty() {
        Ok(())
    } else {
        Err(OutputError::WouldDestroy {
            out: shown,
            what: describe_entries(&foreign),
        })
    }
}

/// Writes `files` into directory `out` all at once, under `rules` (see the module docs).
/// On any error nothing under `out` changes.
pub fn write_output_dir(
    out: &Path,
    files: &[(&str, Vec<u8>)],
    rules: &OutputRules,
) -> Result<(), OutputError> {
    check_output_dir(out, rules)?;
    let shown = out;
    let entry = output_entry(out).ok_or_else(|| OutputError::NoName(out.display().to_string()))?;
    let out = entry.as_path();
    let parent = out
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    let name = out
        .file_name()
        .ok_or_else(|| OutputError::NoName(shown.display().to_string()))?
        .to_string_lossy()
        .to_string();
    fs::create_dir_all(&parent).map_err(|e| OutputError::io(shown, e))?;
    let _lock = lock_dir(&parent, shown, rules.on_wait).map_err(|e| OutputError::io(shown, e))?;
    // Under the lock, the state may have changed since the first check (another run wrote).
    check_output_dir(shown, rules)?;
    sweep(&parent, &name, out);
    // A directory that holds the working directory is never swapped away: the shell would be
    // left in a deleted directory, and a relative OUT would name nothing.
    let holds_cwd = std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.canonicalize().ok())
        .is_some_and(|cwd| out.is_dir() && cwd.starts_with(resolve(out)));
    if holds_cwd {
        return write_in_place(out, files).map_err(|e| OutputError::io(shown, e));
    }

    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.wattshift-staging-{pid}"));
    let result = (|| -> std::io::Result<()> {
        fs::create_dir(&staging)?;
        let write = |file: &str, bytes: &[u8]| -> std::io::Result<()> {
            let mut f = fs::File::create(staging.join(file))?;
            f.write_all(bytes)?;
            f.sync_all()
        };
        // The marker first: a staging directory of a killed run is then recognisably ours.
        write(MARKER, marker_text(files).as_bytes())?;
        for (file, bytes) in files {
            write(file, bytes)?;
        }
        if let Ok(dir) = fs::File::open(&staging) {
            let _ = dir.sync_all();
        }
        replace(&staging, out, &parent, &name)
    })();
    if result.is_err() && staging.exists() {
        remove_ours(&staging);
    }
    if let Ok(dir) = fs::File::open(&parent) {
        let _ = dir.sync_all();
    }
    result.map_err(|e| OutputError::io(shown, e))
}

/// Writes `files` into the existing directory `out` one by one, each atomically (a temporary
/// file renamed over its name), for an OUT that holds the working directory. The marker lists
/// every file before it appears, so a kill at any moment leaves nothing the next run would take
/// for a user's file; files of the earlier output that this one does not write are removed, and
/// entries wattshift did not write (kept with `--force`) stay.
fn write_in_place(out: &Path, files: &[(&str, Vec<u8>)]) -> std::io::Result<()> {
    let pid = std::process::id();
    let earlier = marker_entries(out).unwrap_or_default();
    let partial = |name: &str| format!(".{name}.partial-{pid}");
    let write_marker = |names: &[String]| -> std::io::Result<()> {
        let listed: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (n.as_str(), Vec::new())).collect();
        let temp = out.join(format!("{MARKER}.partial-{pid}"));
        let mut f = fs::File::create(&temp)?;
        f.write_all(marker_text(&listed).as_bytes())?;
        f.sync_all()?;
        fs::rename(&temp, out.join(MARKER))
    };
    let mut listed: Vec<String> = earlier.clone();
    for (name, _) in files {
        for entry in [name.to_string(), partial(name)] {
            if !listed.contains(&entry) {
                listed.push(entry);
            }
        }
    }
    write_marker(&listed)?;
    for (name, bytes) in files {
        let temp = out.join(partial(name));
        let mut f = fs::File::create(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&temp, out.join(name))?;
    }
    for old in &earlier {
        if !files.iter().any(|(name, _)| name == old) {
            let _ = fs::remove_file(out.join(old));
        }
    }
    let names: Vec<String> = files.iter().map(|(name, _)| name.to_string()).collect();
    write_marker(&names)?;
    if let Ok(dir) = fs::File::open(out) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Puts `staging` in `out`'s place. What was at `out` ends in `staging`'s place and is removed.
fn replace(staging: &Path, out: &Path, parent: &Path, name: &str) -> std::io::Result<()> {
    let Ok(old) = fs::symlink_metadata(out) else {
        return fs::rename(staging, out);
    };
    if exchange(staging, out).is_ok() {
        // `staging` now holds what was at `out`: ours, or replaced under --force.
        return if old.is_dir() {
            fs::remove_dir_all(staging)
        } else {
            fs::remove_file(staging)
        };
    }
    // No atomic exchange here: set the old output aside, then move the new one in.
    let aside = parent.join(format!(".{name}.wattshift-old-{}", std::process::id()));
    fs::rename(out, &aside)?;
    if let Err(e) = fs::rename(staging, out) {
        let _ = fs::rename(&aside, out);
        return Err(e);
    }
    if old.is_dir() {
        fs::remove_dir_all(&aside)
    } else {
        fs::remove_file(&aside)
    }
}

/// Swaps two directories atomically.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let b = CString::new(b.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// An exclusive lock on the directory `dir`, held until the value is dropped. A run that finds
/// it held calls `on_wait` and waits.
fn lock_dir(
    dir: &Path,
    out: &Path,
    on_wait: Option<fn(&Path)>,
) -> std::io::Result<Option<fs::File>> {
    #[cfg(unix)]
    {
        let file = fs::File::open(dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(fs::TryLockError::WouldBlock) => {
                if let Some(on_wait) = on_wait {
                    on_wait(out);
                }
                file.lock()?;
                Ok(Some(file))
            }
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened as files here; the write is still atomic, only
        // concurrent runs are not serialised.
        let _ = (dir, out, on_wait);
        Ok(None)
    }
}

/// Removes `dir` if it is wattshift's (carries the marker), or if it is empty.
fn remove_ours(dir: &Path) {
    if marker_entries(dir).is_some() {
        let _ = fs::remove_dir_all(dir);
    } else {
        let _ = fs::remove_dir(dir);
    }
}

/// Cleans up after killed runs that wrote `out`: puts back an old output that was set aside
/// when `out` is missing, and removes leftover staging and set-aside directories.
fn sweep(parent: &Path, name: &str, out: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let staging_prefix = format!(".{name}.wattshift-staging-");
    let aside_prefix = format!(".{name}.wattshift-old-");
    let mut leftovers: Vec<(bool, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().to_string();
        if file_name.starts_with(&staging_prefix) {
            leftovers.push((false, entry.path()));
        } else if file_name.starts_with(&aside_prefix) {
            leftovers.push((true, entry.path()));
        }
    }
    leftovers.sort();
    for (aside, path) in leftovers {
        if aside && fs::symlink_metadata(out).is_err() && marker_entries(&path).is_some() {
            // A run was killed between its two renames: the old output goes back.
            if fs::rename(&path, out).is_ok() {
                continue;
            }
        }
        remove_ours(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lists_what_it_wrote_and_nothing_else_counts() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![("a.csv", b"x".to_vec())];
        fs::write(dir.path().join(MARKER), marker_text(&files)).unwrap();
        fs::write(dir.path().join("a.csv"), "x").unwrap();
        assert!(foreign_entries(dir.path()).unwrap().is_empty());
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        assert_eq!(foreign_entries(dir.path()).unwrap(), vec!["notes.txt"]);
        // A marker that is not wattshift's accounts for nothing.
        fs::write(dir.path().join(MARKER), "something else\na.csv\n").unwrap();
        assert_eq!(foreign_entries(dir.path()).unwrap().len(), 3);
    }

    #[test]
    fn entries_are_described_briefly() {
        let names: Vec<String> = (0..7).map(|i| format!("f{i}")).collect();
        let text = describe_entries(&names);
        assert!(text.starts_with("7 entries ('f0'"), "{text}");
        assert!(text.ends_with("and 2 more)"), "{text}");
        assert_eq!(describe_entries(&names[..1]), "1 entry ('f0')");
    }
}
