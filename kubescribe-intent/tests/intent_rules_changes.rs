//! Rules written in session 24 after the blind round `is-` … `iv-`, whose
//! `it-` batch asked for a change to a rule ("Today …; change that: …",
//! "Before: … After: …") or one item of a numbered list: how things stand
//! now is background; "change it so …" and "after the change, …" say the
//! state asked for; when the ask names no pods, the story's own labels and
//! namespace are read with it (its ports and peers are not). Each test
//! states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers};

#[test]
fn the_state_today_is_background_and_the_story_names_the_pods() {
    let i = parsed(
        "Today the broker pods, labelled app=broker in namespace mq, take connections on 5672, 15672 and 25672 from anywhere. Change that: 15672 must not be reachable by anyone any more.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(port_numbers(&i), vec![15672]);
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("broker")
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("mq"));
}

#[test]
fn the_state_after_the_change_is_asked() {
    let i = parsed(
        "OBS-12: Lock down observability. Today there is no policy in the obs namespace, so any pod of the cluster can connect to the collector. After the change, all pods in namespace obs accept traffic only from pods of obs itself and from the grafana namespace.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(i.scope.all_pods);
}

#[test]
fn change_it_so_says_the_state_asked_for() {
    let i = parsed(
        "As merged, the policy allows ingress on TCP ports 80, 443, 8080 and 9443 for the webhook pods (app=hook, namespace ops). Change it so the webhook pods in namespace ops accept 9443 only.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![9443]);
}
