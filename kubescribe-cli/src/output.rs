//! What every command shares on the way out: the exit statuses ([`Exit`]),
//! printing JSON and text to standard output, the `kubescribe: …` line of a
//! refusal or an error, progress bars, and one event as a line of text.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// A command's exit status. The same situation gets the same status in
/// every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done; every document valid, converted or applied; nothing blocked.
    Ok = 0,
    /// 1: the input was read but is invalid, or a policy blocks events, or
    /// the intent cannot be expressed, or the server rejected a document, or
    /// every attempt failed.
    Invalid = 1,
    /// 2: unusable input: a file, store, model or cluster could not be read
    /// or reached (and every error a command returns).
    Unusable = 2,
}

impl Exit {
    /// [`Exit::Unusable`] when anything was unusable, else [`Exit::Invalid`]
    /// when anything was invalid, else [`Exit::Ok`].
    pub fn of(unusable: bool, invalid: bool) -> Exit {
        if unusable {
            Exit::Unusable
        } else if invalid {
            Exit::Invalid
        } else {
            Exit::Ok
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// The process's exit status for a command's result; an error is printed
/// here, once, as `kubescribe: error: …` (with its causes), and exits 2.
///
/// A reader that closed standard output early (`kubescribe … | head`) is no
/// error: the command ends quietly with status 0, as `cat` and kubectl do.
pub fn finish(result: Result<Exit>) -> ExitCode {
    match result {
        Ok(exit) => exit.into(),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kubescribe: error: {}", error_text(&e));
            Exit::Unusable.into()
        }
    }
}

/// An error with its causes, `: `-separated, each said once: a cause whose
/// text its wrapper already shows (`{path}: {source}`, `parser: {0}`) is
/// not repeated, as anyhow's `{:#}` would. One line: control characters in
/// it (user data an error repeats) are escaped.
pub fn error_text(e: &anyhow::Error) -> String {
    kubescribe_core::quote::escape_control(&error_chain(e)).into_owned()
}

fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Whether `e` is (or was caused by) a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Makes `println!` on a closed standard output (and `eprintln!` on a
/// closed standard error: `generate … 2>&1 | head -1`) end the process
/// quietly with status 0 instead of panicking ("failed printing to stdout:
/// Broken pipe"); every other panic is reported as before.
pub fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        let closed = ["failed printing to stdout", "failed printing to stderr"]
            .iter()
            .any(|p| message.starts_with(p));
        if closed && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Prints `kubescribe: MESSAGE` on standard error and returns `exit`: for
/// a command that stops with a status of its own (an intent that cannot be
/// expressed, a model that cannot be opened) rather than with an error.
/// The message may span lines (an intent's open questions); other control
/// characters in it are escaped.
pub fn fail(exit: Exit, message: impl Display) -> Exit {
    let message = message.to_string();
    let lines: Vec<_> = message
        .split('\n')
        .map(kubescribe_core::quote::escape_control)
        .collect();
    eprintln!("kubescribe: {}", lines.join("\n"));
    exit
}

/// Refuses to replace the first of `paths` that exists unless `force`:
/// an error naming the file and the `--force` flag.
pub fn refuse_overwrite<'a>(
    paths: impl IntoIterator<Item = &'a std::path::Path>,
    force: bool,
) -> Result<()> {
    if force {
        return Ok(());
    }
    if let Some(p) = paths.into_iter().find(|p| p.exists()) {
        anyhow::bail!(
            "{} exists; not replacing it without --force (or write somewhere else)",
            p.display()
        );
    }
    Ok(())
}

/// Writes `value` as pretty JSON and a newline.
pub fn write_json(out: &mut dyn Write, value: &Value) -> Result<()> {
    // serde_json escapes C0 controls; C1 and bidirectional controls too.
    writeln!(
        out,
        "{}",
        kubescribe_core::quote::to_printable_json(value, true)
    )?;
    Ok(())
}

/// Prints `value` as pretty JSON and a newline on standard output.
pub fn print_json(value: &Value) -> Result<()> {
    write_json(&mut std::io::stdout().lock(), value)
}

/// Prints `text` as it is (YAML, a rendered summary) on standard output.
pub fn print_text(text: &str) -> Result<()> {
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// A progress bar of `len` steps on standard error, drawn with `template`;
/// hidden with `quiet` or when standard error is not a terminal.
pub fn progress_bar(len: u64, quiet: bool, template: &str) -> ProgressBar {
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// One event as a line: `namespace/pod: what it did`.
pub fn describe_event(e: &kubescribe_events::Event) -> String {
    use kubescribe_events::EventKind;
    let pod = format!(
        "{}/{}",
        e.pod.namespace.as_deref().unwrap_or("?"),
        e.pod.pod.clone().unwrap_or_else(|| e.pod.labels_text())
    );
    let what = match &e.kind {
        EventKind::Process(p) => format!("exec {}", p.binary),
        EventKind::File(f) => format!("{} {}", f.operation.as_str(), f.path),
        EventKind::Network(n) => format!(
            "{} {} {}:{} -> {}:{}",
            n.direction.as_str(),
            n.protocol,
            n.local_ip.as_deref().unwrap_or("?"),
            n.local_port.map_or("?".into(), |p| p.to_string()),
            n.remote_ip.as_deref().unwrap_or("?"),
            n.remote_port.map_or("?".into(), |p| p.to_string()),
        ),
        EventKind::Syscall(s) => format!("{} {}", s.kind.as_str(), s.name),
    };
    // Paths, names and labels come from the events: one inert line.
    kubescribe_core::quote::escape_control(&format!("{pod}: {what}")).into_owned()
}
