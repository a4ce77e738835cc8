//! Asks left in an on-call handover among items that are status: a paging
//! tool's header fields ("Schedule: …", "Outgoing: … → Incoming: …") are no
//! pasted configuration, and "Apply a default deny …" is a command.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::parsed;

#[test]
fn a_handoffs_header_fields_are_no_configuration() {
    let i = parsed(
        "Handoff Summary\nSchedule: Platform Secondary · Wed 08:00 – Thu 08:00\nOutgoing: Ada Byrne → Incoming: Tomas Kral\n\n#7781 · Resolved · Low · ingress 502s on the docs site, node drained\n\nNotes for incoming:\nThe proxy fetches whatever URL a user gives it. Please block egress to 169.254.169.254/32 for the proxy pods (app=url-proxy, namespace tools). Uploads to the bucket must keep working.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.ports.is_empty(), "{:?}", i.resources);
    assert_eq!(i.resources.cidrs, vec!["169.254.169.254/32".to_string()]);
}

#[test]
fn apply_a_policy_among_done_items_is_the_ask() {
    let i = parsed(
        "### Handover (late → early)\n\n- [x] ledger-sandbox: API keys rotated (Ines)\n- [x] `billing` app resynced in ArgoCD\n- [ ] ledger-sandbox is still reachable from every namespace. Apply a default deny ingress for all pods in namespace ledger-sandbox; egress stays open.\n- [ ] dashboards for the ledger still missing (owner: Piet)",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(i.scope.all_pods, "{:?}", i.scope);
    assert!(i.scope.labels.is_empty(), "{:?}", i.scope);
    assert!(i.resources.all, "{:?}", i.resources);
}

#[test]
fn files_named_under_a_path_that_stays_writable_are_left_alone() {
    let i = parsed(
        "02:30 for the day crew: block writes to /root/.ssh/ and /etc/cron.d/ in the cache pods (app=keydb, namespace cache). dump.rdb and the AOF under /data/ stay writable.",
    );
    assert_eq!(
        i.resources.dirs,
        vec!["/root/.ssh/".to_string(), "/etc/cron.d/".to_string()]
    );
}

#[test]
fn meanwhile_and_the_incoming_shift_open_no_other_reading() {
    let i = parsed(
        "| 3 | Jenkins file read, CVE-2024-23897 | mitigated at the LB |\n\n**Re 3.** We can't upgrade before Friday. Meanwhile audit any access to /var/jenkins_home/secret.key in the jenkins pods (app=jenkins, namespace ci). Don't block anything.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(
        i.resources.paths,
        vec!["/var/jenkins_home/secret.key".to_string()]
    );
    let i = parsed(
        "Still to do (incoming on-call): block execution of /usr/bin/socat in the wiki pods (app=wiki, namespace docs).",
    );
    assert_eq!(i.domain, kubescribe_core::intent::Domain::Process);
    assert_eq!(i.action, Action::Block);
}

#[test]
fn counts_and_inline_code_in_status_items_are_no_pasted_configuration() {
    let i = parsed(
        "Handoff, night -> early (edge cluster orchard-2)\n- sensor fleet: 4 of 19 still on the old UDP forwarder, the rest moved over the weekend\n- the bridge is the compose service ported 1:1 (`ports: - \"1700:1700\"`), no TLS yet\n- next shift: please log every incoming connection to 1700 on the bridge pods (app=udp-bridge, namespace lorawan). Don't block anything yet.\n- frost expected Thu; ignore the gateway alerts",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.ports.iter().map(|p| p.port).collect::<Vec<_>>(),
        vec![1700]
    );
    assert!(
        i.resources
            .ports
            .iter()
            .all(|p| format!("{:?}", p.protocol) == "Tcp"),
        "{:?}",
        i.resources.ports
    );
}

#[test]
fn an_action_left_tbd_with_its_reason_is_refused() {
    let e = parse_helpers::refused(
        "Network change request: survey uploads\nWorkload: app=survey-worker\nNamespace: field\nDirection: egress\nDestinations: uploads.example.org\nPorts: 443/tcp\nAction: TBD, waiting on Ana (does the worker upload by itself, or only the API?)\n",
    );
    assert!(e.contains("what to do"), "{e}");
}
