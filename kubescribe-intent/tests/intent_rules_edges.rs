//! Rules of the intent parser found on the blind batches `de-` … `dh-`
//! (workloads named by their objects, cloud-provider services, training
//! write-ups, preview environments and chaos tools): where an ask's edge
//! lies — what stays open or writable, what must not work outside the
//! allow-list, who are "the only ones" — and peers or ports that are named
//! without being given. Each test states the rule with phrasings of its
//! own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn an_ask_that_names_its_pods_needs_no_aside_from_the_background() {
    // The background's "(run=load-generator)" became the policy's pods.
    let i = parsed(
        "The tester pod (run=tester) floods the shop service. Deny ingress from run=tester to the shop Deployment (pods app=shop, namespace web).",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("shop"));
    assert_eq!(
        i.resources.peers[0].labels.get("run").map(String::as_str),
        Some("tester")
    );
}

#[test]
fn the_only_ones_allowed_are_let_in() {
    // "pods with run=client are the only ones allowed to talk to
    // run=nginx" restricted the client's egress.
    let i = parsed(
        "in namespace lab, pods with role=probe are the only ones allowed to talk to app=api",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("api"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    let i = parsed(
        "lab 2, allow traffic to api only from the probe: in namespace lab, pods with role=probe are the only ones allowed to talk to app=api",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("api"));
}

#[test]
fn no_blocking_leaves_the_record() {
    // "log any access to X. just record it, no blocking" blocked.
    let i = parsed(
        "for app=c in ns sec: log any access to /root/.aws/credentials. just record it, no blocking",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn what_stays_open_or_writable_is_left_alone() {
    // "the webhook port 9443 stays open" and "/srv/data/ stays writable
    // for the pastes" joined the block.
    let i = parsed(
        "drop incoming connections to port 10082 on the ctrl pods (app=ctrl, namespace chaos); the webhook port 9443 stays open.",
    );
    assert_eq!(port_numbers(&i), [10082]);
    let i = parsed(
        "Make /srv/cfg/ read-only in the bin pods (app: bin, namespace paste), while /srv/data/ stays writable for the pastes.",
    );
    assert_eq!(i.resources.dirs, ["/srv/cfg/"]);
    // A sentence that allows on a port is no such clause.
    let i = parsed(
        "with this policy, traffic from pods labeled app=fe to pods labeled app=be in namespace web on TCP port 8000 is allowed.",
    );
    assert_eq!(port_numbers(&i), [8000]);
}

#[test]
fn a_lock_down_whose_traffic_only_goes_somewhere_is_an_allow_list() {
    // "Lock down X so their egress only goes to the kube-apiserver"
    // blocked the API server.
    let i = parsed(
        "Lock down the reaper pods (app=reaper, ns chaos) so their egress only goes to the kube-apiserver.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn what_must_not_work_outside_the_allow_list_is_its_edge() {
    // "…; copying data to a storage account outside the workspace must
    // not work" turned the allow into a block.
    let i = parsed(
        "the ws pods (app=ws, ns w1) may only reach store1.blob.core.windows.net on 443; uploads to an account outside the workspace must not work.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.fqdns, ["store1.blob.core.windows.net"]);
}

#[test]
fn peers_and_ports_named_without_values_are_asked_for() {
    // "to trusted networks only", "from the office VPN" and "on whatever
    // port it uses" opened the port to everyone or opened every port.
    let e = refused(
        "restrict access to the debug port 5005 of app=jvm (ns dev) to trusted networks only.",
    );
    assert!(e.contains("which traffic"), "{e}");
    let e = refused(
        "the UI on the master pods (app=master, namespace load) on 8089 should only be reachable from the office VPN",
    );
    assert!(e.contains("which traffic"), "{e}");
    let e = refused(
        "allow the app pods (app=shop, namespace web) egress to 169.254.169.254 on whatever port it uses for this.",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn a_service_that_answers_is_no_port() {
    // "the bucket has more IPs than DNS hands back" added port 53.
    let i = parsed(
        "app=up in ns media should only be able to talk to b1.s3.amazonaws.com. allow it by name, the bucket has more IPs than DNS hands back",
    );
    assert!(i.resources.ports.is_empty(), "{:?}", i.resources.ports);
}

#[test]
fn the_edge_of_an_allow_list_after_its_modal_sets_off_the_background() {
    // "… should accept connections on 5800 and nothing else" was no ask,
    // so the background's 5900 joined it.
    let i = parsed(
        "By default, both ports 5800 and 5900 are exposed. We want the web GUI only, to reduce exposure: the desk pods (app=desk, namespace vdi) should accept connections on 5800 and nothing else.",
    );
    assert_eq!(port_numbers(&i), [5800]);
}

#[test]
fn no_other_internet_access_is_the_edge_not_a_peer() {
    // "may only connect to huggingface.co on 443, no other internet
    // access" allowed the whole internet.
    let i = parsed(
        "the ml pods (app=ml, namespace photos) may only connect to huggingface.co on 443, no other internet access.",
    );
    assert!(i.resources.entities.is_empty());
    assert_eq!(i.resources.fqdns, ["huggingface.co"]);
}

#[test]
fn what_is_left_unrestricted_or_still_read_is_left_alone() {
    // "while leaving egress unrestricted" made the policy both ways;
    // "sshd still has to read it" made a block of every access.
    let i = parsed(
        "restrict ingress to the ha pods (app: ha, namespace home) to the operator namespace (op-system) on 8123, while leaving egress unrestricted.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    let i = parsed(
        "for the bastion pods (app=bastion, namespace ssh), block any modification of /etc/ssh/sshd_config; sshd still has to read it.",
    );
    assert!(i.resources.read_only);
}

#[test]
fn access_limited_to_its_owner_is_owner_only() {
    let i = parsed(
        "for the agent pods (app: agent, namespace ops), access to /var/lib/agent/ is limited to its owner.",
    );
    assert!(i.resources.owner_only);
}

#[test]
fn whose_http_port_is_asked_for() {
    // "jellyfin's HTTP port … on its new port only" became port 80.
    let e = refused(
        "We changed the media server's HTTP port. Allow app=media in ns home inbound from 192.168.1.0/24 on its new port only.",
    );
    assert!(e.contains("which port"), "{e}");
}
