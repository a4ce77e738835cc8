//! The fields of a request form, told from their keys: a field's name
//! ("Workload", "Pod selector", `requested_by`, "podLabels") or a form's
//! question ("Which executables does the app need?") says what its value
//! holds: the rule's pods, peers, ports, files or action, or background.

/// What a form's field says, from its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Workload,
    Namespace,
    Direction,
    /// Peers on the side the direction says.
    Peers,
    Sources,
    Destinations,
    Ports,
    Protocol,
    Action,
    /// The rule in the requester's words ("Request:", "What exactly
    /// should the policy do?"): read as the ask, the form's pods before it.
    Ask,
    Executables,
    Paths,
    Access,
    /// The process that reads or writes the paths.
    Who,
    Capabilities,
    /// The engine or policy kind asked for ("Enforcement:
    /// CiliumNetworkPolicy").
    Engine,
    /// Free text that may refine the ask ("Details:", "Notes:").
    Details,
    /// Who asks, why, until when: not the rule.
    Background,
}

/// The verb a key says by itself (a YAML request's `allow:` list).
pub(super) fn key_verb(key: &str) -> Option<&'static str> {
    match key {
        "allow" | "allowed" | "permit" => Some("allow"),
        "deny" | "denied" | "block" | "blocked" => Some("block"),
        "audit" | "log" => Some("audit"),
        _ => None,
    }
}

/// A key's words, lower-case: "podLabels" → "pod labels",
/// `requested_by` → "requested by", "Destination(s)" → "destinations".
pub(super) fn spaced(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_ascii_lowercase();
        out.push(c);
    }
    out.trim()
        .trim_matches(|c: char| c == '*' || c == '_' || c == '`')
        .to_ascii_lowercase()
        .replace('_', " ")
        .replace("(s)", "s")
}

/// The field a key names — a field's name ("Workload", "Pod selector",
/// `requested_by`) or a form's question ("Which executables does the app
/// need?", "What should happen when one of them is read?"); `None` for a
/// key no form uses.
pub(super) fn field(key: &str) -> Option<Field> {
    let k = spaced(key);
    let words: Vec<&str> = k
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let any = |ws: &[&str]| words.iter().any(|w| ws.contains(w));
    let said = |phrase: &str| k.contains(phrase);
    if key_verb(&k).is_some() {
        return Some(Field::Action);
    }
    Some(
        if any(&[
            "why",
            "justification",
            "reason",
            "rationale",
            "background",
            "requester",
        ]) || any(&[
            "team", "owner", "contact", "approver", "reviewer", "expiry", "expires",
        ]) || any(&[
            "expiration",
            "duration",
            "due",
            "summary",
            "reference",
            "references",
        ]) || any(&[
            "ticket",
            "priority",
            "date",
            "status",
            "project",
            "cc",
            "requestor",
        ]) || [
            "requested by",
            "requested for",
            "required by",
            "submitted by",
            "approved by",
            "request type",
            "issue type",
        ]
        .iter()
        .any(|p| said(p))
            // ("Rule type: Process": the kind of request.)
            || any(&["type"]) && !any(&["policy"])
        {
            Field::Background
        } else if said("anything else")
            || any(&[
                "details",
                "detail",
                "notes",
                "note",
                "description",
                "comment",
                "comments",
            ])
            || any(&["exception", "exceptions", "environment"])
        {
            Field::Details
        } else if any(&["enforcement", "engine", "cni"])
            || said("policy kind")
            || said("policy type")
        {
            Field::Engine
        } else if any(&["action", "decision", "verdict"]) || said("should happen") {
            Field::Action
        } else if any(&[
            "request",
            "requested",
            "rule",
            "rules",
            "control",
            "ask",
            "change",
        ]) || any(&["criteria", "acceptance", "describe"])
            || words.last() == Some(&"do")
            || words.first() == Some(&"what") && any(&["need", "want", "do"])
        {
            Field::Ask
        } else if any(&["namespace", "namespaces"])
            && any(&["from", "source", "sources", "clients", "peers"])
        {
            // ("allowFromNamespacesLabelled": peers by their namespace.)
            Field::Sources
        } else if any(&["namespace", "namespaces"]) && any(&["to", "destination", "destinations"]) {
            Field::Destinations
        } else if any(&["namespace", "namespaces", "ns"]) {
            Field::Namespace
        } else if any(&[
            "workload",
            "workloads",
            "pods",
            "pod",
            "selector",
            "labels",
            "target",
            "service",
        ]) || any(&["targets", "applies", "application"]) && !any(&["name"])
        {
            Field::Workload
        } else if any(&[
            "executables",
            "executable",
            "binaries",
            "binary",
            "processes",
        ]) || any(&["process", "programs", "program", "commands", "command"])
        {
            Field::Executables
        } else if any(&["paths", "path", "files", "file", "directories", "directory"]) {
            Field::Paths
        } else if any(&["capabilities", "capability", "caps"]) {
            Field::Capabilities
        } else if any(&["port", "ports"]) {
            Field::Ports
        } else if any(&["protocol", "protocols"]) {
            Field::Protocol
        } else if any(&["direction", "traffic"]) {
            Field::Direction
        } else if words.first() == Some(&"who")
            && any(&["access", "reach", "connect", "connects", "call", "calls"])
        {
            // ("Who needs access?": the peers.)
            Field::Peers
        } else if any(&["access", "operation", "operations"]) {
            Field::Access
        } else if any(&["who", "readers", "writers"]) || said("accessed by") {
            Field::Who
        } else if any(&["peers", "peer"]) {
            Field::Peers
        } else if any(&[
            "source", "sources", "from", "clients", "client", "callers", "caller",
        ]) {
            Field::Sources
        } else if any(&["destination", "destinations", "to", "egress"]) {
            Field::Destinations
        } else {
            return None;
        },
    )
}
