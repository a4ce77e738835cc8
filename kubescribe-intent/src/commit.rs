//! Commit messages: "feat(netpol): allow DNS egress to openshift-dns", a
//! blank line, then a body that says the ask in full ("Egress of the webhook
//! pods (…) is limited to UDP/TCP 5353 towards the openshift-dns
//! namespace."), then trailers ("Signed-off-by: …", "Refs #754"). The
//! subject line sums the change up in a few words — "via /32 CIDR", "in
//! /tmp", "metrics port" — that the body says precisely or sets aside; when
//! the body alone says a whole intent, it is the ask.

/// `text` with its subject line and trailers blanked out (offsets kept),
/// when it reads as a commit message: a first line shaped as a commit
/// subject ("type(scope): …", "component: …", "TICKET-123: …"), a blank
/// line, and a body.
pub(super) fn body_alone(text: &str) -> Option<String> {
    let (subject, rest) = text.split_once('\n')?;
    if !is_subject(subject) {
        return None;
    }
    // A blank line between the subject and the body.
    let body_at = rest.find(|c: char| !c.is_whitespace())?;
    if !rest[..body_at].contains('\n') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for (k, line) in text.split_inclusive('\n').enumerate() {
        let said = line.strip_suffix('\n').unwrap_or(line);
        if k == 0 || is_trailer(said.trim()) {
            // (Bytes, not characters: offsets stay.)
            out.push_str(&" ".repeat(said.len()));
        } else {
            out.push_str(said);
        }
        if said.len() < line.len() {
            out.push('\n');
        }
    }
    Some(out)
}

/// "feat(netpol): …", "fix!: …", "nginx: …", "OCPBUGS-94072: netpol: …":
/// a lower-case type or component, or a ticket's key, then a colon.
fn is_subject(line: &str) -> bool {
    let Some((head, summary)) = line.split_once(": ") else {
        return false;
    };
    if summary.split_whitespace().count() < 2 {
        return false;
    }
    let head = head.trim_end_matches('!');
    let head = match head.split_once('(') {
        Some((kind, scope)) if scope.ends_with(')') && !scope.contains('(') => kind,
        Some(_) => return false,
        None => head,
    };
    let component = !head.is_empty()
        && head.len() <= 24
        && head.starts_with(|c: char| c.is_ascii_lowercase())
        && head.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '/' | '.')
        });
    let ticket = head.split_once('-').is_some_and(|(key, num)| {
        !key.is_empty()
            && key.chars().all(|c| c.is_ascii_uppercase())
            && !num.is_empty()
            && num.chars().all(|c| c.is_ascii_digit())
    });
    component || ticket
}

/// "Signed-off-by: …", "Co-authored-by: …", "Refs #754", "Fixes #1831".
fn is_trailer(line: &str) -> bool {
    let by = line.split_once(": ").is_some_and(|(key, _)| {
        key.ends_with("-by")
            && key.starts_with(|c: char| c.is_ascii_uppercase())
            && !key.contains(' ')
    });
    let refs = ["Refs ", "Ref ", "Fixes ", "Closes ", "Resolves ", "See "]
        .iter()
        .any(|w| {
            line.strip_prefix(w)
                .is_some_and(|r| r.split_whitespace().count() == 1)
        });
    by || refs
}

#[cfg(test)]
mod tests {
    use super::body_alone;

    #[test]
    fn the_subject_and_trailers_go_and_offsets_stay() {
        let t = "fix: pin the /32\n\nThe pods get 10.0.0.1/32.\nRefs #12\nSigned-off-by: A <a@b.c>";
        let b = body_alone(t).unwrap();
        assert_eq!(b.len(), t.len());
        assert!(b.starts_with("                \n\nThe pods get 10.0.0.1/32.\n"));
        assert!(!b.contains("Refs") && !b.contains("Signed"));
        let t = "fix: pin the /32\n\nbody\n";
        assert_eq!(body_alone(t).unwrap(), "                \n\nbody\n");
    }

    #[test]
    fn only_a_subject_line_then_a_blank_line() {
        // A sentence with a colon, no subject; a subject without a body.
        assert!(body_alone("Note: the pods are app=x.\n\nblock it").is_none());
        assert!(body_alone("fix: allow DNS\nthe pods …").is_none());
        assert!(body_alone("allow DNS egress\n\nthe pods …").is_none());
        assert!(body_alone("OCPBUGS-94072: netpol: allow DNS\n\nthe pods …").is_some());
        assert!(body_alone("feat(network-policy): home lockdown\n\nthe pods …").is_some());
    }
}
