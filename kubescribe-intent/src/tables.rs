//! Asks that carry their rules in a Markdown table (`| Source | Port |
//! Protocol | Action |`, `| Path | Access | Who |`): each row is rewritten
//! as a list item the parser reads like any other ("- allow from consul
//! agents (app=consul) on TCP 8300"), the column saying what each cell is.
//! The rewrite keeps a map from its bytes to the input's, so the entities
//! found in it still quote the cells they came from.

use super::lexicon::{ALLOW_WORDS, AUDIT_WORDS, BLOCK_WORDS};

/// What a column holds, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Source,
    Destination,
    Port,
    Protocol,
    Action,
    Direction,
    Path,
    Access,
    /// "Writable?": yes or no.
    Writable,
    /// The process that reads or writes a path (a file table's "Who").
    Who,
    Binary,
    Capability,
    /// An address with no side said ("IP Address", "CIDR"): the prose
    /// says which side it is.
    Peer,
    /// A port column named for its protocol ("TCP", "UDP").
    TcpPort,
    UdpPort,
    /// Descriptions ("Purpose", "Notes"): background, not rules.
    Comment,
}

fn column(header: &str) -> Column {
    let h = header
        .trim()
        .trim_matches(|c: char| c == '*' || c == '`' || c == '?' || c == ':')
        .to_ascii_lowercase()
        .replace("(s)", "s");
    let h = h.trim();
    let has = |w: &[&str]| w.contains(&h);
    // ("Server Name", "Service Name": what a row is called, beside the
    // column that gives its address or port.)
    // ("Capability Name", "Process Name": the thing itself.)
    if let Some(stem) = h.strip_suffix("names").or_else(|| h.strip_suffix("name")) {
        let thing = column(stem);
        return if matches!(thing, Column::Capability | Column::Binary) {
            thing
        } else {
            Column::Comment
        };
    }
    // ("Linux capabilities", "Docker's capabilities".)
    if h.ends_with(" capabilities") || h.ends_with(" capability") {
        return Column::Capability;
    }
    if has(&["tcp", "tcp port", "tcp ports"]) {
        return Column::TcpPort;
    }
    if has(&["udp", "udp port", "udp ports"]) {
        return Column::UdpPort;
    }
    if has(&[
        "ip",
        "ips",
        "ip address",
        "ip addresses",
        "address",
        "addresses",
        "cidr",
        "cidrs",
        "network",
        "networks",
        "subnet",
        "subnets",
        "ip range",
        "ip ranges",
    ]) {
        return Column::Peer;
    }
    if has(&[
        "source",
        "sources",
        "src",
        "from",
        "client",
        "clients",
        "caller",
        "callers",
        "origin",
        "peer",
        "peers",
        "allowed from",
        "source pods",
        "consumer",
        "consumers",
    ]) {
        Column::Source
    } else if has(&[
        "destination",
        "destinations",
        "dest",
        "dst",
        "to",
        "target",
        "targets",
        "upstream",
        "allowed to",
        "remote",
        "host",
        "hosts",
        "hostname",
        "hostnames",
        "fqdn",
        "fqdns",
        "domain",
        "domains",
        "server",
        "servers",
        "endpoint",
        "endpoints",
    ]) {
        Column::Destination
    } else if h.contains("port") {
        Column::Port
    } else if has(&["protocol", "protocols", "proto", "transport", "l4 protocol"]) {
        Column::Protocol
    } else if has(&[
        "action", "verdict", "decision", "effect", "allow", "allowed", "keep", "result", "rule",
    ]) {
        Column::Action
    } else if has(&["direction", "traffic direction", "flow"]) {
        Column::Direction
    } else if has(&[
        "path",
        "paths",
        "file",
        "files",
        "directory",
        "directories",
        "dir",
    ]) {
        Column::Path
    } else if has(&[
        "access",
        "mode",
        "permission",
        "permissions",
        "operation",
        "operations",
    ]) {
        Column::Access
    } else if has(&[
        "writable",
        "writeable",
        "write access",
        "can write",
        "write",
    ]) {
        Column::Writable
    } else if has(&[
        "who",
        "by",
        "accessed by",
        "reader",
        "readers",
        "writer",
        "writers",
    ]) {
        Column::Who
    } else if has(&[
        "binary",
        "binaries",
        "executable",
        "executables",
        "process",
        "processes",
        "program",
        "programs",
        "command",
        "commands",
    ]) {
        Column::Binary
    } else if has(&[
        "capability",
        "capabilities",
        "cap",
        "caps",
        "linux capability",
    ]) {
        Column::Capability
    } else {
        Column::Comment
    }
}

/// The cells of a table line, as byte ranges of `text` (trimmed); `None`
/// for a line that is no table row. The outer pipes are optional, as in
/// GitHub's Markdown (`Port | Protocol | From`): a line with a pipe inside
/// is a row where a header and a separator line made a table.
fn cells(text: &str, line: (usize, usize)) -> Option<Vec<(usize, usize)>> {
    let s = &text[line.0..line.1];
    let lead = s.len() - s.trim_start().len();
    let body = s.trim();
    let outer = body.starts_with('|');
    let inner_pipe = body
        .char_indices()
        .any(|(k, c)| c == '|' && k > 0 && !body[..k].ends_with('\\'));
    if body.len() < 2 || !(outer || inner_pipe) {
        return None;
    }
    let mut out = Vec::new();
    let mut from = line.0 + lead + usize::from(outer);
    let end = line.0 + lead + body.len() - usize::from(body.ends_with('|'));
    let bytes = text.as_bytes();
    let mut i = from;
    while i <= end {
        if i == end || (bytes[i] == b'|' && bytes[i - 1] != b'\\') {
            let cell = &text[from..i];
            let l = cell.len() - cell.trim_start().len();
            out.push((from + l, from + l + cell.trim().len()));
            from = i + 1;
        }
        i += 1;
    }
    Some(out)
}

fn separator(text: &str, cells: &[(usize, usize)]) -> bool {
    cells.iter().all(|&(f, t)| {
        let c = &text[f..t];
        c.contains("--") && c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))
    })
}

/// A piece of the rewrite: `len` bytes at `new` that stand for the input's
/// bytes `orig` (copied when the lengths agree and `copied` is set).
#[derive(Debug, Clone, Copy)]
struct Piece {
    new: usize,
    len: usize,
    orig: (usize, usize),
    copied: bool,
}

/// A text whose tables were rewritten as list items, and where its bytes
/// came from.
#[derive(Debug, Clone)]
pub(super) struct Rewrite {
    pub(super) text: String,
    pieces: Vec<Piece>,
    /// What the table leaves open, as the parser's refusals say it: an
    /// Action cell "TBD", a Port cell that names no number.
    pub(super) missing: Vec<String>,
}

impl Rewrite {
    pub(super) fn new(capacity: usize) -> Rewrite {
        Rewrite {
            text: String::with_capacity(capacity),
            pieces: Vec::new(),
            missing: Vec::new(),
        }
    }

    pub(super) fn copy(&mut self, src: &str, from: usize, to: usize) {
        if to > from {
            self.pieces.push(Piece {
                new: self.text.len(),
                len: to - from,
                orig: (from, to),
                copied: true,
            });
            self.text.push_str(&src[from..to]);
        }
    }

    /// Copies the prose around a table, its quotations blanked: with the
    /// rules in the table, a sentence quoted from a project's docs ("…
    /// listens on this port for HTTP requests") is background.
    pub(super) fn copy_prose(&mut self, src: &str, from: usize, to: usize) {
        let at = self.text.len();
        self.copy(src, from, to);
        let prose = &src[from..to];
        let mut quotes = prose
            .match_indices(['"', '“', '”'])
            .map(|(i, q)| (i, q.len()));
        let mut blank = Vec::new();
        while let (Some((o, ol)), Some((c, _))) = (quotes.next(), quotes.next()) {
            let inner = &prose[o + ol..c];
            if inner.split_whitespace().count() >= 4 {
                blank.push((at + o + ol, at + c));
            }
        }
        for (f, t) in blank {
            let spaces = " ".repeat(t - f);
            self.text.replace_range(f..t, &spaces);
        }
    }

    pub(super) fn insert(&mut self, words: &str, orig: (usize, usize)) {
        if !words.is_empty() {
            self.pieces.push(Piece {
                new: self.text.len(),
                len: words.len(),
                orig,
                copied: false,
            });
            self.text.push_str(words);
        }
    }

    pub(super) fn leave_open(&mut self, what: String) {
        if !self.missing.contains(&what) {
            self.missing.push(what);
        }
    }

    /// The input's byte range that the rewrite's `start..end` stands for.
    pub(super) fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let at = |off: usize, is_end: bool| {
            let inside = |p: &&Piece| {
                if is_end {
                    p.new < off && off <= p.new + p.len
                } else {
                    p.new <= off && off < p.new + p.len
                }
            };
            match self.pieces.iter().find(inside) {
                Some(p) if p.copied => p.orig.0 + (off - p.new),
                Some(p) if is_end => p.orig.1,
                Some(p) => p.orig.0,
                None => off.min(self.pieces.last().map_or(0, |p| p.orig.1)),
            }
        };
        let (s, e) = (at(start, false), at(end, true));
        (s, e.max(s))
    }
}

/// The verb a cell of an Action (or Keep) column says.
fn verb(cell: &str) -> Option<&'static str> {
    let l = cell.to_ascii_lowercase();
    let first = l
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    if matches!(first, "yes" | "y" | "keep" | "ok") || ALLOW_WORDS.contains(&first) {
        Some("allow")
    } else if matches!(first, "no" | "n" | "none") || BLOCK_WORDS.contains(&first) {
        Some("block")
    } else if AUDIT_WORDS.contains(&first) {
        Some("log")
    } else if l.contains('✅') || l.contains('✓') || l.contains('✔') {
        Some("allow")
    } else if l.contains('❌') || l.contains('✗') || l.contains('✘') {
        Some("block")
    } else {
        None
    }
}

/// The transport a Protocol cell names when it names an application
/// protocol (`HTTP`, `gRPC`): they all run over TCP.
fn transport(cell: &str) -> Option<&'static str> {
    let l = cell.trim().to_ascii_lowercase();
    matches!(
        l.as_str(),
        "http"
            | "https"
            | "grpc"
            | "grpcs"
            | "h2"
            | "h2c"
            | "tls"
            | "ssl"
            | "websocket"
            | "ws"
            | "wss"
            | "http/https"
            | "http(s)"
    )
    .then_some("TCP")
}

/// Whether a cell gives a range another row could carve from: a CIDR
/// block (`10.0.0.0/8`) or a port range (`30000-30009`).
fn range(cell: &str) -> bool {
    let b = cell.as_bytes();
    (1..b.len().saturating_sub(1)).any(|i| {
        matches!(b[i], b'/' | b'-') && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit()
    })
}

/// Whether an Action cell leaves the action open ("TBD", "?", "pending").
pub(super) fn open(cell: &str) -> bool {
    // ("TBD, waiting on Rui (…)": the word, then why.)
    let head = [",", ";", " (", " - ", " \u{2014} ", ": "]
        .iter()
        .filter_map(|m| cell.find(m))
        .min()
        .map_or(cell, |k| &cell[..k]);
    if head.len() < cell.len() && head.trim().len() > 1 && open(head) {
        return true;
    }
    let l = cell.trim().to_ascii_lowercase();
    matches!(
        l.trim_matches(|c: char| c == '*' || c == '_' || c == '(' || c == ')'),
        "tbd"
            | "tbc"
            | "?"
            | "??"
            | "???"
            | "pending"
            | "undecided"
            | "to be decided"
            | "to decide"
            | "unknown"
            | "open"
            | "todo"
            | "to do"
            | "decide"
            | "…"
            | "..."
    )
}

/// Whether a cell says "anything" (`any`, `*`, `all others`, `-`).
fn any(cell: &str) -> bool {
    matches!(
        cell.to_ascii_lowercase()
            .trim_matches(|c: char| c == '(' || c == ')')
            .trim(),
        "any"
            | "*"
            | "all"
            | "-"
            | "—"
            | "anywhere"
            | "anyone"
            | "everyone"
            | "everybody"
            | "all others"
            | "any other"
            | "others"
            | "everything else"
            | "0.0.0.0/0"
            | "::/0"
            | "anything else"
            | "all other"
            | "rest"
            | "all ports"
            | "any port"
            | "all protocols"
            | "any protocol"
            | "n/a"
            | "na"
            | "none"
    )
}

/// The words an Access cell stands for ("read-only" → "read").
fn access(cell: &str) -> String {
    let l = cell.to_ascii_lowercase();
    let l = l.trim();
    match l {
        "r" | "ro" | "read" | "read-only" | "read only" | "readonly" => "read".into(),
        "rw" | "read-write" | "read/write" | "read write" | "write" | "w" => {
            "read and write".into()
        }
        "x" | "exec" | "execute" => "execute".into(),
        _ => l.to_string(),
    }
}

/// `text` with each Markdown table whose columns say what its cells are
/// rewritten as list items, one per row; `None` when it has none.
pub(super) fn rewritten(text: &str) -> Option<Rewrite> {
    let mut lines = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        lines.push((at, at + l.trim_end_matches(['\n', '\r']).len()));
        at += l.len();
    }
    let mut rw = Rewrite::new(text.len() + 64);
    let mut copied_to = 0;
    let mut i = 0;
    let mut any_table = false;
    let rule_columns = |h: &[(usize, usize)]| {
        h.iter()
            .filter(|&&(f, t)| column(&text[f..t]) != Column::Comment)
            .count()
    };
    while i + 1 < lines.len() {
        // A Markdown table (a header, its separator line, the rows), or
        // a delimited one (a header of rule columns, rows of as many cells).
        let markdown = match (
            lines.get(i).and_then(|&l| cells(text, l)),
            lines.get(i + 1).and_then(|&l| cells(text, l)),
        ) {
            (Some(head), Some(sep)) if separator(text, &sep) => Some(head),
            _ => None,
        };
        let delim = markdown
            .is_none()
            .then(|| super::delimited::delimiter(text, lines[i], lines[i + 1], rule_columns))
            .flatten();
        let row_cells = |l: (usize, usize), width: usize| match delim {
            Some(d) => Some(super::delimited::cells(text, l, d)).filter(|c| c.len() == width),
            None => cells(text, l),
        };
        let (head, mut j) = match (markdown, delim) {
            (Some(head), _) => (head, i + 2),
            (None, Some(d)) => (super::delimited::cells(text, lines[i], d), i + 1),
            (None, None) => {
                i += 1;
                continue;
            }
        };
        let mut rows = Vec::new();
        while let Some(r) = lines.get(j).and_then(|&l| row_cells(l, head.len())) {
            rows.push((lines[j], r));
            j += 1;
        }
        // ("Direction<TAB>Ingress" over "Allowed from<TAB>…": a form's
        // fields, their names down the first column, no table.)
        let form = delim.is_some()
            && head.len() == 2
            && rows
                .iter()
                .map(|(_, r)| r[0])
                .chain([head[0]])
                .filter(|&(f, t)| column(&text[f..t]) != Column::Comment)
                .count()
                >= 2;
        if form {
            i += 1;
            continue;
        }
        let mut cols: Vec<Column> = head.iter().map(|&(f, t)| column(&text[f..t])).collect();
        // A "Mode" column of octal or `ls -l` modes ("0600", "-rw-------")
        // says how the file is owned, not who may do what: background.
        for (k, c) in cols.iter_mut().enumerate() {
            let modes = rows.iter().all(|(_, r)| {
                r.get(k).is_some_and(|&(f, t)| {
                    let v = text[f..t].trim_matches('`');
                    !v.is_empty()
                        && (v.chars().all(|ch| ch.is_ascii_digit())
                            || v.len() == 10 && v.chars().all(|ch| "-rwxsStTdl".contains(ch)))
                })
            });
            if *c == Column::Access && modes {
                *c = Column::Comment;
            }
        }
        if rows.is_empty() || cols.iter().all(|c| *c == Column::Comment) {
            i = j;
            continue;
        }
        any_table = true;
        rw.copy_prose(text, copied_to, lines[i].0);
        // Without an Action column, the prose says what to do with the
        // rows; when it bounds them as allowed ("only", "exactly this",
        // "may") and says no other action, the table lists what is allowed
        // (an access matrix). Otherwise the rows take no verb of their own.
        let prose = format!("{} {}", rw.text, &text[lines[j - 1].1..]);
        let allow_rows = allow_cue(&prose) && !prose_acts(&prose);
        // "log their connections to:" right before a table of addresses:
        // the side its Peer cells are on.
        let lead = rw.text.trim_end().to_ascii_lowercase();
        let peer_side = if lead.ends_with(" to:") {
            "to "
        } else if lead.ends_with(" from:") {
            "from "
        } else {
            ""
        };
        write_rows(&mut rw, text, &cols, &rows, allow_rows, peer_side);
        copied_to = lines[j - 1].1;
        i = j;
    }
    if !any_table {
        return None;
    }
    rw.copy_prose(text, copied_to, text.len());
    Some(rw)
}

type Row = ((usize, usize), Vec<(usize, usize)>);

/// Whether prose says to block, log or not do something ("must never run",
/// "log who connects"): then rows without an action take the prose's.
/// ("nothing else", "nowhere else", "not by name" say no action: they
/// bound an allow-list or say how.)
fn prose_acts(prose: &str) -> bool {
    // A sentence about everything else ("Anything else outbound gets
    // dropped", "Any other process … is blocked") is the allow-list's edge,
    // not an action for its rows.
    let bounded: String = prose
        .split(['.', '!', '?', '\n'])
        .filter(|s| {
            let w = prose_words(s);
            !w.iter().enumerate().any(|(i, x)| {
                let next = w.get(i + 1).map_or("", String::as_str);
                x == "else" || matches!(x.as_str(), "any" | "all" | "every") && next == "other"
            })
        })
        .collect::<Vec<_>>()
        .join(". ");
    let words = prose_words(&bounded);
    words.iter().enumerate().any(|(i, w)| {
        let next = words.get(i + 1).map_or("", String::as_str);
        BLOCK_WORDS.contains(&w.as_str())
            || AUDIT_WORDS.contains(&w.as_str())
            || matches!(
                w.as_str(),
                "never"
                    | "don't"
                    | "mustn't"
                    | "shouldn't"
                    | "can't"
                    | "cannot"
                    | "revoke"
                    | "remove"
                    | "ban"
                    | "quarantine"
            )
            || matches!(w.as_str(), "must" | "should" | "may" | "can" | "will") && next == "not"
            // "must be kept away from …", "keep them off these hosts".
            || matches!(w.as_str(), "keep" | "keeps" | "kept")
                && words[i + 1..]
                    .iter()
                    .take(4)
                    .any(|x| matches!(x.as_str(), "off" | "out" | "away"))
    })
}

/// Whether prose bounds the rows as allowed: an allow word, "only",
/// "exactly", "may"/"can", an access matrix, "lock … down to".
fn allow_cue(prose: &str) -> bool {
    let words = prose_words(prose);
    words.iter().enumerate().any(|(i, w)| {
        ALLOW_WORDS.contains(&w.as_str())
            || matches!(
                w.as_str(),
                "only" | "exactly" | "may" | "can" | "matrix" | "allowed" | "permitted"
            )
            || w == "lock" && words[i + 1..].iter().take(4).any(|x| x == "down")
    })
}

fn prose_words(prose: &str) -> Vec<String> {
    prose
        .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A Source cell that names its peers by a common noun alone ("SOC
/// workstations", "jump hosts"): said with "the", so that the parser asks
/// which peers they are unless another row names some.
fn vague(cell: &str) -> bool {
    let first = cell
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    !cell.contains(['=', ':', '/', '.', '(', '*', '`'])
        && !cell.chars().any(|c| c.is_ascii_digit())
        && !matches!(
            first.as_str(),
            "the"
                | "our"
                | "their"
                | "a"
                | "an"
                | "all"
                | "every"
                | "each"
                | "pods"
                | "pod"
                | "namespace"
                | "namespaces"
                | "world"
                | "cluster"
                | "host"
                | "internet"
                | "kube-apiserver"
                | "apiserver"
                | "remote-node"
                | "ingress"
                | "health"
        )
}

fn write_rows(
    rw: &mut Rewrite,
    text: &str,
    cols: &[Column],
    rows: &[Row],
    allow_rows: bool,
    peer_side: &str,
) {
    let cell = |r: &Row, c: Column| {
        cols.iter()
            .position(|&k| k == c)
            .and_then(|p| r.1.get(p).copied())
            .filter(|&(f, t)| t > f)
    };
    let verb_of = |r: &Row| cell(r, Column::Action).and_then(|(f, t)| verb(&text[f..t]));
    let allows = rows.iter().any(|r| verb_of(r) == Some("allow"));
    let files = cols.contains(&Column::Path);
    let mut first = true;
    for r in rows {
        // The catch-all row of an allow-list ("any | any | deny", "all
        // others | no, drop"): the allow-list already says it.
        let named: Vec<Column> = cols
            .iter()
            .zip(&r.1)
            .filter(|&(c, &(f, t))| {
                !matches!(c, Column::Action | Column::Comment) && t > f && !any(&text[f..t])
            })
            .map(|(&c, _)| c)
            .collect();
        let catch_all = named
            .iter()
            .all(|c| matches!(c, Column::Destination | Column::Capability));
        // A "no" row of an allow-list ("/usr/local/bin/npm | no", "9160 |
        // ✗") says what the list shuts out: where every allowed row names
        // a value of each column it names, and none of them is a range it
        // could carve from (10.0.0.0/8, 30000-30009, "any").
        let shut_out = named.iter().all(|&c| {
            rows.iter()
                .filter(|a| verb_of(a) == Some("allow"))
                .all(|a| cell(a, c).is_some_and(|(f, t)| !any(&text[f..t]) && !range(&text[f..t])))
        });
        // (Never one that carves from an allowed range: "10.0.0.0/8 |
        // allow", "10.1.0.0/16 | deny".)
        let carves = named.iter().any(|&c| {
            rows.iter()
                .filter(|a| verb_of(a) == Some("allow"))
                .any(|a| cell(a, c).is_some_and(|(f, t)| range(&text[f..t])))
        });
        if allows
            && verb_of(r) == Some("block")
            && !carves
            && (named.len() <= 1 && catch_all || shut_out)
        {
            continue;
        }
        // "Writable: yes" beside rows that are not: left as it is.
        let writable = |r: &Row| cell(r, Column::Writable).and_then(|(f, t)| verb(&text[f..t]));
        if writable(r) == Some("allow") && rows.iter().any(|o| writable(o) == Some("block")) {
            continue;
        }
        // So is an "rw" row beside "ro" rows when no one is named: the
        // read-only rows are the rule.
        let mode_of = |r: &Row| cell(r, Column::Access).map(|(f, t)| access(&text[f..t]));
        if !cols.contains(&Column::Who)
            && !cols.contains(&Column::Binary)
            && mode_of(r).as_deref() == Some("read and write")
            && rows.iter().any(|o| mode_of(o).as_deref() == Some("read"))
        {
            continue;
        }
        // A Source cell that admits no one ("none, keep it closed") is the
        // allow-list's edge: its port stays shut.
        if cell(r, Column::Source).is_some_and(|(f, t)| {
            let l = text[f..t].to_ascii_lowercase();
            ["none", "nobody", "no one", "closed"]
                .iter()
                .any(|w| l.starts_with(w))
        }) && cell(r, Column::Action).is_none()
            && rows.len() > 1
        {
            continue;
        }
        let row = r.0;
        rw.insert(if first { "" } else { "\n" }, row);
        first = false;
        rw.insert("- ", row);
        if let Some((f, t)) = cell(r, Column::Action).filter(|&(f, t)| open(&text[f..t])) {
            rw.leave_open(format!(
                "what to do: the table's Action column says \"{}\"; allow, audit or block?",
                &text[f..t]
            ));
        }
        if let Some((f, t)) = cell(r, Column::Port).filter(|&(f, t)| {
            !any(&text[f..t]) && !text[f..t].contains(|c: char| c.is_ascii_digit())
        }) {
            rw.leave_open(format!(
                "which port: \"{}\" names no port; give its number (e.g. `port 5432`)",
                &text[f..t]
            ));
        }
        match cell(r, Column::Action) {
            Some((f, t)) => {
                match verb(&text[f..t]) {
                    Some(v) => rw.insert(v, (f, t)),
                    None => rw.copy(text, f, t),
                }
                rw.insert(" ", row);
            }
            None if allow_rows
                && !cols.contains(&Column::Access)
                && !cols.contains(&Column::Writable) =>
            {
                rw.insert("allow ", row)
            }
            None => {}
        }
        if let Some((f, t)) = cell(r, Column::Direction) {
            let l = text[f..t].to_ascii_lowercase();
            let w = if l.starts_with("in") {
                "incoming"
            } else if l.starts_with("out") || l.starts_with("eg") {
                "outgoing"
            } else {
                ""
            };
            if w.is_empty() {
                rw.copy(text, f, t);
            } else {
                rw.insert(w, (f, t));
            }
            rw.insert(" ", row);
        }
        if files {
            // "/usr/bin/etcd may read /etc/x.key", or "/etc/x.key read-only"
            // when everyone (or no one named) is meant.
            let who = cell(r, Column::Who)
                .or_else(|| cell(r, Column::Binary))
                .filter(|&(f, t)| !any(&text[f..t]));
            let mode = cell(r, Column::Access).or_else(|| cell(r, Column::Writable));
            if let Some((f, t)) = who {
                rw.copy(text, f, t);
                rw.insert(" may ", row);
                // (A Writable cell says it by yes or no.)
                let said = |(f, t): (usize, usize)| match cell(r, Column::Access) {
                    Some(_) => access(&text[f..t]),
                    None => match verb(&text[f..t]) {
                        Some("allow") => "read and write".to_string(),
                        Some("block") => "read".to_string(),
                        _ => text[f..t].to_string(),
                    },
                };
                match mode {
                    Some((f, t)) => rw.insert(&said((f, t)), (f, t)),
                    None => rw.insert("access", row),
                }
                rw.insert(" ", row);
            }
            if let Some((f, t)) = cell(r, Column::Path) {
                rw.copy(text, f, t);
            }
            if let (None, Some((f, t))) = (who, mode) {
                rw.insert(" ", row);
                match (cell(r, Column::Writable), verb(&text[f..t])) {
                    (Some(_), Some("allow")) => rw.insert("writable", (f, t)),
                    (Some(_), Some("block")) => rw.insert("read-only", (f, t)),
                    _ => rw.copy(text, f, t),
                }
            }
        } else {
            for c in [Column::Binary, Column::Capability] {
                if let Some((f, t)) = cell(r, c) {
                    rw.copy(text, f, t);
                    rw.insert(" ", row);
                }
            }
            // (Without paths, "Who" names the peers a row admits.)
            let source = cell(r, Column::Source).or_else(|| cell(r, Column::Who));
            for (c, word) in [(Column::Source, "from "), (Column::Destination, "to ")] {
                let at = if c == Column::Source {
                    source
                } else {
                    cell(r, c)
                };
                if let Some((f, t)) = at.filter(|&(f, t)| !any(&text[f..t])) {
                    rw.insert(word, row);
                    if c == Column::Source && vague(&text[f..t]) {
                        rw.insert("the ", row);
                    }
                    rw.copy(text, f, t);
                    rw.insert(" ", row);
                }
            }
            if let Some((f, t)) = cell(r, Column::Peer).filter(|&(f, t)| !any(&text[f..t])) {
                rw.insert(peer_side, row);
                rw.copy(text, f, t);
                rw.insert(" ", row);
            }
            for (c, proto) in [(Column::TcpPort, "TCP"), (Column::UdpPort, "UDP")] {
                if let Some((f, t)) = cell(r, c).filter(|&(f, t)| !any(&text[f..t])) {
                    rw.insert("on ", row);
                    rw.insert(proto, (f, t));
                    rw.insert(" ", row);
                    rw.copy(text, f, t);
                    rw.insert(" ", row);
                }
            }
            let proto = cell(r, Column::Protocol).filter(|&(f, t)| !any(&text[f..t]));
            let port = cell(r, Column::Port).filter(|&(f, t)| !any(&text[f..t]));
            if proto.is_some() || port.is_some() {
                rw.insert("on ", row);
                if let Some((f, t)) = proto {
                    match transport(&text[f..t]) {
                        Some(tcp) => rw.insert(tcp, (f, t)),
                        None => rw.copy(text, f, t),
                    }
                    rw.insert(" ", row);
                }
                if let Some((f, t)) = port {
                    if proto.is_none() {
                        rw.insert("port ", row);
                    }
                    rw.copy(text, f, t);
                }
            }
        }
        // Trailing blanks out.
        while rw.text.ends_with(' ') {
            rw.text.pop();
            if let Some(p) = rw.pieces.last_mut() {
                p.len = p.len.saturating_sub(1);
                if p.len == 0 {
                    rw.pieces.pop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_list_items_and_entities_map_back() {
        let t = "For app=consul in namespace consul:\n\n| Source | Port | Protocol | Action |\n|---|---|---|---|\n| app=agent | 8300 | TCP | allow |\n| any | any | any | deny |\n\nThanks.";
        let rw = rewritten(t).unwrap();
        assert_eq!(
            rw.text,
            "For app=consul in namespace consul:\n\n- allow from app=agent on TCP 8300\n\nThanks."
        );
        let s = rw.text.find("8300").unwrap();
        let (f, e) = rw.original(s, s + 4);
        assert_eq!(&t[f..e], "8300");
        let s = rw.text.find("allow").unwrap();
        let (f, e) = rw.original(s, s + 5);
        assert_eq!(&t[f..e], "allow");
        assert!(rewritten("a | b\nno table here").is_none());
    }
}
