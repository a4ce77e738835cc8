//! Rules written after the last blind round (`gk-` … `gn-`: node daemons,
//! code sandboxes, runbooks, media pipelines) was measured with the
//! session's final parser: "Lock down the X pods (…): only /a and /b may be
//! executed" is their allow-list (it blocked the two); "must not reach
//! anything but X" lets the pods reach X (it read X as coming in); "…;
//! they shouldn't be able to call anything else" is an allow-list's edge
//! (it blocked the FQDN allowed); "only from CloudFront's origin-facing
//! servers" names no peer (it allowed everyone). Each test states the rule
//! with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, refused};

#[test]
fn a_lock_down_then_only_x_may_run_is_an_allow_list() {
    let i = parsed(
        "Lock down the agent pods (app: agent, namespace ops): only /agent and /usr/bin/health may be executed.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries.len(), 2);
}

#[test]
fn not_reaching_anything_but_x_lets_the_pods_reach_x() {
    let i = parsed(
        "The runner pods (app=runner, namespace ci) must not reach anything but the cache pods (app=cache in namespace ci) on 9000.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn nothing_else_to_call_ends_an_allow_list() {
    let i = parsed(
        "Restrict egress of the report-runner pods (app=report-runner, namespace bi) to files.example.com on 443; they shouldn't be able to call anything else.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.fqdns, vec!["files.example.com"]);
}

#[test]
fn a_possessive_peer_said_by_its_kind_is_asked_for() {
    let e = refused(
        "the origin pods (app=origin, namespace cdn) should accept 8080 only from Fastly's edge servers.",
    );
    assert!(e.contains("names no peer"), "{e}");
}
