//! Command-line flags of the speed examples (`--name value` pairs).

/// The value after `name`, if given.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// The number after `name`, `default` when absent; a value that is not a
/// number is an error naming the flag, never the default in disguise.
pub fn num(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    arg(args, name).map_or(Ok(default), |s| {
        s.parse().map_err(|_| format!("{name} {s:?}: not a number"))
    })
}
