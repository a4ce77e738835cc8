//! Rules of the intent parser found on the blind batches `da-` … `dd-`
//! (identity workloads, control-plane components, serverless platforms,
//! asks written by non-native English speakers): who is let in by "call",
//! "into" and an objectless "connect", protocols that belong to one item of
//! a port list, ports listed after "including", the writer's "what I want:"
//! and sentences that point back at ports. Each test states the rule with
//! phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Protocol};
use parse_helpers::{parsed, port_numbers, port_protocols, refused};

fn label<'a>(m: &'a std::collections::BTreeMap<String, String>, k: &str) -> Option<&'a str> {
    m.get(k).map(String::as_str)
}

#[test]
fn what_only_one_workload_may_call_is_protected() {
    // "only the router (…) may call the function pods (…)" restricted the
    // router's egress.
    let i = parsed(
        "only the gateway (app=gw, namespace edge) may call the worker pods (tier=worker, namespace jobs) on 9000",
    );
    assert_eq!(label(&i.scope.labels, "tier"), Some("worker"));
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn the_one_let_in_without_an_object_connects_to_the_pods_named_before() {
    // "for app=db, only app=api may connect on 5432" gave db egress to api.
    let i = parsed("for app=cache in ns data, only app=web may connect on 6379");
    assert_eq!(label(&i.scope.labels, "app"), Some("cache"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    let i = parsed("lock down app=cache in ns data so that only app=web can connect on 6379");
    assert_eq!(i.direction, Some(Direction::Ingress));
    // Alone, who connects is said but not the pods connected to: asked
    // for (it once read web's egress on 6379, an allow-list of web's
    // traffic nobody asked for).
    let e = refused("only app=web in ns data may connect on 6379");
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn pods_someone_is_let_into_are_protected() {
    // "Allow prometheus (…) into the coredns pods (…)" gave prometheus
    // egress.
    let i = parsed(
        "let the scraper (app=scraper, namespace mon) into the cache pods (app=cache, namespace data) on 9121",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("data"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(label(&i.resources.peers[0].labels, "app"), Some("scraper"));
}

#[test]
fn protocols_after_one_item_of_a_port_list_are_its_own() {
    // "only on 53 tcp and udp, 443, 6443" gave 443 and 6443 UDP too.
    let i = parsed("egress from app=m in ns k only on 53 tcp and udp, 443 and 10250");
    assert_eq!(
        port_protocols(&i),
        [
            (53, Protocol::Tcp),
            (53, Protocol::Udp),
            (443, Protocol::Tcp),
            (10250, Protocol::Tcp)
        ]
    );
}

#[test]
fn the_world_blocked_from_a_port_comes_in() {
    // "Block the outside world from port 9000 of …; 8443 stays public"
    // blocked egress on both ports.
    let i = parsed(
        "block the internet from the admin port 9990 of app=wildfly in ns java; 8080 stays public",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), [9990]);
}

#[test]
fn ports_listed_after_including_are_ports() {
    // "ports used by kubelet, including 10250 and 10255" named no port.
    let i = parsed(
        "block access to the ports used by the agent, including 7070 and 7071, for app=x in ns y",
    );
    assert_eq!(port_numbers(&i), [7070, 7071]);
}

#[test]
fn the_port_said_by_what_is_served_there_is_asked_for() {
    // "on the port coredns serves its metrics on" gave a policy with no
    // port, opening all of them.
    let e = refused(
        "allow app=prom in ns mon into the dns pods (k8s-app=dns, namespace sys) on the port dns serves its metrics on",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn the_writers_wish_sets_off_the_situation_before_it() {
    // The paths and ports of the complaint before "what i need:" joined
    // the intent.
    let i = parsed(
        "running cat /etc/hosts gives Permission denied, but /etc/hosts should not be blocked. what i need: block /bin/cat from reading /etc/ssl/ only, in app=web pods of namespace shop.",
    );
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
    assert_eq!(i.resources.dirs, ["/etc/ssl/"]);
    let i = parsed(
        "The policy only opens 5001 and not 5000. What I want: to the api pods (app=api, namespace web) only allow port 5000 from role=mon pods.",
    );
    assert_eq!(port_numbers(&i), [5000]);
}

#[test]
fn an_ask_about_those_ports_takes_them_from_before() {
    // "allow only incoming connections from 10.0.0.0/8 on those two ports"
    // dropped the ports of the sentence before.
    let i = parsed(
        "our ldap pods (app: ldap, namespace dir) listen on 389/tcp and 636/tcp. allow only incoming connections from 10.0.0.0/8 on those two ports",
    );
    assert_eq!(port_numbers(&i), [389, 636]);
    // A port given where it is pointed at points nowhere else.
    let i = parsed(
        "The state API (/state) is open to everyone. Deny ingress to that status port, 8080, on the placement pods (app: placement, namespace dapr).",
    );
    assert!(i.resources.paths.is_empty());
    assert_eq!(port_numbers(&i), [8080]);
}

#[test]
fn the_intended_service_names_no_workload() {
    // "only the intended event source … the intended service" became the
    // pods labelled app=intended.
    let e = refused("harden app=fn in ns jobs: it can only reach out to the approved service");
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn a_reason_between_and_and_its_command_is_set_aside() {
    // "drop all capabilities, and since … (it listens on 80) add
    // NET_BIND_SERVICE back" lost the add-back to the reason.
    let i = parsed(
        "for app=web in ns shop: drop all capabilities, and since it binds port 443 (a privileged port) add NET_BIND_SERVICE back.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["net_bind_service"]);
}

#[test]
fn dropping_all_the_others_keeps_what_was_named() {
    // "that is the one capability we grant; drop all the others" blocked
    // the one capability granted.
    let i = parsed("the vault pods (app=vault, ns sec) keep IPC_LOCK; drop all the others.");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["ipc_lock"]);
    let i = parsed("app=api in ns web runs /usr/bin/api; block the rest");
    assert_eq!(i.action, Action::Allow);
    // KubeArmor's "owner only, block others" stays the owner-only block.
    let i = parsed("/usr/bin/top is owner only, block others, for app=x in namespace y");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn blocking_a_workloads_incoming_traffic_except_a_port_allows_the_port() {
    // "block ingress to app=x in ns y except port 8012" and "block traffic
    // to the hello pods (…) unless it goes through 8012" blocked 8012.
    let i = parsed("block ingress to app=hello in ns serve except port 8012");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), [8012]);
    let i = parsed(
        "block traffic to the hello pods (app=hello, namespace serve) unless it goes through the proxy port, 8012/tcp",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), [8012]);
}
