//! Which parts of a text are read, and in which order of tries: a terminal
//! session, the code around an ask written in its comments, the comments of
//! pasted configuration, pasted alerts, what it leaves alone, a past event
//! given as the reason, Why/Context sections, a finding's evidence and `>`
//! quotes beside the operator's own ask are set aside (offsets kept), and
//! hard-wrapped lines joined; then the asks alone when the rest is
//! background, else the whole text, else the one sentence that says a
//! whole intent.

use super::*;

/// Parses `text` into an intent without resolving pod names (they stay in `scope.podNames`).
pub fn parse_intent(text: &str) -> Result<ParsedIntent, IntentParseError> {
    parse_intent_with(text, None)
}

/// Parses `text`, resolving pod names to labels through `resolver` when one is given.
pub fn parse_intent_with(
    text: &str,
    resolver: Option<&mut dyn PodResolver>,
) -> Result<ParsedIntent, IntentParseError> {
    if text.len() > MAX_INTENT_BYTES {
        return Err(IntentParseError::TooLong(text.len()));
    }
    if text.trim().is_empty() {
        return Err(IntentParseError::Empty);
    }
    // Rules given as a Markdown table are read as the list items they
    // stand for, a request form's fields as the sentence they say; the
    // entities found there are mapped back to their cells and fields.
    // (An admission policy pasted beside the ask first: its fields are no
    // form's, its names no workload.)
    let admission_less = admission::without_admission_policies(text);
    let input = text;
    let text = admission_less.as_deref().unwrap_or(text);
    let table = tables::rewritten(text).or_else(|| forms::rewritten(text));
    if let Some(t) = table.as_ref().filter(|t| !t.missing.is_empty()) {
        return Err(IntentParseError::Missing(t.missing.clone()));
    }
    let read = table.as_ref().map_or(text, |t| t.text.as_str());
    // The parts read may have blanks where the input had background or
    // comments: the entities quote the input itself.
    parse_read_parts(read, resolver).map(|mut p| {
        for e in &mut p.entities {
            if let Some(t) = &table {
                (e.start, e.end) = t.original(e.start, e.end);
            }
            if let Some(said) = input.get(e.start..e.end) {
                e.text = said.to_string();
            }
        }
        p
    })
}

/// Parses `text` (without a pasted terminal session, its configuration
/// comments and pasted alerts): the asks alone when
/// the rest is background, else the whole text, else the one sentence that
/// says a whole intent.
fn parse_read_parts(
    text: &str,
    resolver: Option<&mut dyn PodResolver>,
) -> Result<ParsedIntent, IntentParseError> {
    // (A pasted session first: "/data # ps aux" is a prompt, not a comment.)
    let (session_less, session) = terminal::without_session(text).unzip();
    let text = session_less.as_deref().unwrap_or(text);
    let session = session.unwrap_or_default();
    // (Code pasted around an ask in its comments: the comments are read.)
    let commented = code_comments::comments_only(text);
    let text = commented.as_deref().unwrap_or(text);
    let joined = wrapped::unwrapped(text);
    let text = joined.as_deref().unwrap_or(text);
    let uncommented = sentences::without_config_comments(text);
    let text = uncommented.as_deref().unwrap_or(text);
    let unpasted = pasted::without_pasted(text);
    let text = unpasted.as_deref().unwrap_or(text);
    let bounded = untouched::without_untouched(text);
    let text = bounded.as_deref().unwrap_or(text);
    let unreasoned = masks::blanked(text, &reasons::reason_clauses(text));
    let text = unreasoned.as_deref().unwrap_or(text);
    let unreasoned_sections = masks::blanked(text, &sections::reason_sections(text));
    let text = unreasoned_sections.as_deref().unwrap_or(text);
    let advised = masks::blanked(text, &findings::background(text));
    let text = advised.as_deref().unwrap_or(text);
    let unquoted = masks::blanked(text, &quoted_lines::quoted_lines(text));
    let text = unquoted.as_deref().unwrap_or(text);
    let mut resolver = resolver;
    // A pull request's checklist ("- [ ] Watch one transcode job finish"):
    // the author's to-do, not the ask, when the rest says a whole intent.
    if let Some(unticked) = masks::blanked(text, &criteria::task_items(text)) {
        let again: Option<&mut dyn PodResolver> = match resolver {
            Some(ref mut r) => Some(&mut **r),
            None => None,
        };
        if let Ok(mut p) = parse_read_parts(&unticked, again)
            && sentences::complete(&p)
        {
            p.assumptions
                .push("a checklist's items read as the author's to-do, not the ask".into());
            return Ok(p);
        }
    }
    // A commit message whose body says a whole intent: the body is the ask,
    // the subject line its summary.
    if let Some(body) = commit::body_alone(text) {
        let again: Option<&mut dyn PodResolver> = match resolver {
            Some(ref mut r) => Some(&mut **r),
            None => None,
        };
        if let Ok(mut p) = parse_read_parts(&body, again)
            && sentences::complete(&p)
        {
            if p.intent.engine.is_none() {
                p.intent.engine = sentences::engine_in(text, p.intent.domain);
            }
            p.assumptions.push(
                "a commit message: its body read as the ask, the subject line as its summary"
                    .into(),
            );
            return Ok(p);
        }
    }
    // A manifest pasted with an ask in its comments: the comment is the
    // intent, the manifest's namespace and selector what it is about.
    if let Some(m) = manifest_asks::manifest_ask(text) {
        let read = |asides: &[(usize, usize)], r: Option<&mut dyn PodResolver>| {
            parse_read_parts(&manifest_asks::keeping(text, &m.asks, asides), r)
        };
        let again: Option<&mut dyn PodResolver> = match resolver {
            Some(ref mut r) => Some(&mut **r),
            None => None,
        };
        let alone = read(&[], again);
        let needs_pods = matches!(&alone, Err(IntentParseError::Missing(g))
            if g.iter().any(|x| x.starts_with("which pods") || x.starts_with("which namespace")));
        let needs_ns = matches!(&alone, Ok(p) if !sentences::complete(p));
        if (needs_pods || needs_ns) && m.namespace.is_some() {
            let mut kept: Vec<(usize, usize)> = m.namespace.into_iter().collect();
            if needs_pods {
                kept.extend(m.selector.iter().copied());
            }
            let again: Option<&mut dyn PodResolver> = match resolver {
                Some(ref mut r) => Some(&mut **r),
                None => None,
            };
            if let Ok(mut p) = read(&kept, again) {
                p.assumptions.push(
                    "an ask in a manifest's comment: the manifest's namespace (and selector, when the comment names no pods) read as what it is about"
                        .into(),
                );
                return Ok(p);
            }
        }
        return alone;
    }
    // A chat thread: its last message that asks is the intent (refused
    // when it leaves something out); the discussion before is background.
    if let Some(masked) = chat::last_ask(text) {
        let again: Option<&mut dyn PodResolver> = match resolver {
            Some(ref mut r) => Some(&mut **r),
            None => None,
        };
        match Parser::new(&masked).with_session(&session).run(again) {
            Ok(mut p) if sentences::complete(&p) => {
                if p.intent.engine.is_none() {
                    p.intent.engine = sentences::engine_in(text, p.intent.domain);
                }
                p.assumptions.push(
                    "a chat thread: its last message that asks read as the intent, the discussion before it as background"
                        .into(),
                );
                return Ok(p);
            }
            Err(e @ IntentParseError::Missing(_)) => return Err(e),
            _ => {}
        }
    }
    // Background around one imperative sentence that says it all.
    if let Some(masked) = sentences::imperative_only(text) {
        let again: Option<&mut dyn PodResolver> = match resolver {
            Some(ref mut r) => Some(&mut **r),
            None => None,
        };
        let alone = Parser::new(&masked).with_session(&session).run(again);
        // The ask refers to a value it does not give ("may only reach the
        // CrowdStrike cloud"): refused, not filled from the background.
        if let Err(IntentParseError::Missing(m)) = &alone
            && m.iter().any(|x| x.contains(" names no "))
        {
            return alone;
        }
        let needs_pods = matches!(&alone, Err(IntentParseError::Missing(m))
            if m.iter().all(|x| x.starts_with("which pods")));
        if let Ok(mut p) = alone
            && sentences::complete(&p)
        {
            if p.intent.engine.is_none() {
                p.intent.engine = sentences::engine_in(text, p.intent.domain);
            }
            p.assumptions.push(
                "the sentences around the one that asks (\"Allow …\", \"Block …\") read as background"
                    .into(),
            );
            return Ok(p);
        }
        // The ask says all but which pods, the story names them: its
        // labels and namespace are read with the ask, nothing else of it.
        if needs_pods
            && let Ok(whole) = Parser::new(text).with_session(&session).run(None)
            && let Some(scoped) = story_scope::with_story_scope(text, &masked, &whole)
        {
            let again: Option<&mut dyn PodResolver> = match resolver {
                Some(ref mut r) => Some(&mut **r),
                None => None,
            };
            // (Only where the story asks nothing else: "app=web may read
            // /var/www/; block writes to /var/www/ in namespace shop" is one
            // intent with an allowed and a blocked part.)
            if let Ok(mut p) = Parser::new(&scoped).with_session(&session).run(again)
                && sentences::complete(&p)
                && p.intent.action == whole.intent.action
                && whole.intent.deny.is_none()
            {
                if p.intent.engine.is_none() {
                    p.intent.engine = sentences::engine_in(text, p.intent.domain);
                }
                p.assumptions.push(
                    "the sentence that asks names no pods; the story's labels and namespace read as its pods, the rest of the story as background"
                        .into(),
                );
                return Ok(p);
            }
        }
    }
    let again: Option<&mut dyn PodResolver> = match resolver {
        Some(ref mut r) => Some(&mut **r),
        None => None,
    };
    let whole = Parser::new(text).with_session(&session).run(again);
    let Err(e) = whole else {
        return whole;
    };
    // A text that refers to values it does not give ("restrict outbound
    // traffic to explicitly approved domains") stays refused.
    if matches!(&e, IntentParseError::Missing(m) if m.iter().any(|x| x.contains(" names no "))) {
        return Err(e);
    }
    // A story the whole of which reads as no one intent (its background
    // allows what its ask blocks, names other pods): the one sentence that
    // says a whole intent on its own.
    let mut found: Vec<ParsedIntent> = Vec::new();
    for one in sentences::each_sentence(text) {
        let again: Option<&mut dyn PodResolver> = match resolver {
            Some(ref mut r) => Some(&mut **r),
            None => None,
        };
        if let Ok(p) = Parser::new(&one).with_session(&session).run(again)
            && sentences::complete(&p)
            && !found.iter().any(|f| f.intent == p.intent)
        {
            found.push(p);
        }
    }
    match <[ParsedIntent; 1]>::try_from(found) {
        Ok([mut p]) => {
            if p.intent.engine.is_none() {
                p.intent.engine = sentences::engine_in(text, p.intent.domain);
            }
            p.assumptions.push(format!(
                "the whole text reads as no one intent ({e}); one sentence says one on its own, the others read as background"
            ));
            Ok(p)
        }
        Err(_) => Err(e),
    }
}
