//! Asks written inside infrastructure code (a Terraform `# TODO`, a
//! Pulumi or cdk8s comment, a variable's description, an Ansible task's
//! name): the comments are the ask, the code around them the setup it
//! changes.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_terraform_todo_is_the_ask_and_the_resource_below_it_is_not() {
    let i = parsed(
        "# TODO(sec-9): only the report pods (app=reports, namespace bi) may connect to\n# the warehouse pods (app=warehouse, namespace bi) on 5432.\nresource \"kubernetes_network_policy_v1\" \"warehouse\" {\n  metadata {\n    name      = \"warehouse-open\"\n    namespace = \"legacy\"\n  }\n  spec {\n    ingress {\n      ports {\n        port = \"6543\"\n      }\n    }\n  }\n}\n",
    );
    assert_eq!(i.domain, Domain::Network);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.namespace.as_deref(), Some("bi"));
    // ("the report pods": a workload's name, not "report" the verb.)
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("warehouse")
    );
    assert_eq!(port_numbers(&i), vec![5432]);
}

#[test]
fn a_wrapped_comment_reads_as_one_sentence_with_its_quote() {
    // The quote's "both egress and / ingress" is the library's, not the
    // ask's direction; the ask wraps too.
    let i = parsed(
        "class Api(Chart):\n    def __init__(self, scope: Construct, id: str):\n        super().__init__(scope, id, namespace=\"shop\")\n        deploy = kplus.Deployment(\n            self, \"api\",\n            replicas=2,\n            containers=[kplus.ContainerProps(\n                port_number=8080,\n            )],\n        )\n        # NOTE: not using allow_from() -- it \"creates both egress and\n        # ingress rules\" and the scraper lives elsewhere. The api pods (app=api,\n        # namespace shop) should take port 9464 only from namespaces labelled team=obs.\n",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![9464]);
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources);
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope);
}

#[test]
fn a_variables_description_and_a_tasks_name_are_read() {
    let i = parsed(
        "variable \"except\" {\n  type        = list(string)\n  description = <<-EOT\n    The api pods (app=api, namespace web) may only open connections to 0.0.0.0/0 on 443, except\n    10.0.0.0/8 and 192.168.0.0/16.\n  EOT\n  default = [\"10.0.0.0/8\", \"192.168.0.0/16\"]\n}\n",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.except_cidrs.len(), 2, "{:?}", i.resources);
    let i = parsed(
        "- name: cache | only the api pods (app=api) may reach the cache (app=cache, namespace web) on 6379\n  kubernetes.core.k8s:\n    state: present\n    namespace: web\n  vars:\n    cache_port: 7000\n    client_selector:\n      app: other\n",
    );
    assert_eq!(port_numbers(&i), vec![6379]);
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("cache"));
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn a_manifests_comment_ask_goes_on_over_its_lines() {
    let i = parsed(
        "# NOTE(sec): upstream #12: \"it would be useful to keep functions off the\n# network\".\n# Until that exists: deny all egress from the render-fn pods\n# (pkg.example.io/function=render-fn, namespace fn-system).\n# Core still calls them over gRPC; that is ingress and stays as it is.\napiVersion: example.io/v1\nkind: Composition\nmetadata:\n  name: render\nspec:\n  pipeline:\n    - step: render\n      functionRef:\n        name: render-fn\n",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.scope.namespace.as_deref(), Some("fn-system"));
    assert_eq!(
        i.scope
            .labels
            .get("pkg.example.io/function")
            .map(String::as_str),
        Some("render-fn")
    );
}

#[test]
fn the_owners_ports_kept_off_and_capabilities_it_does_not_need() {
    let i = parsed(
        "keep the outside world off the master's 7077 and 8080 (app=spark, namespace analytics).",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![7077, 8080]);
    let why = refused(
        "For the mail pods (app=mail, namespace tools), drop every capability it doesn't actually need.",
    );
    assert!(why.contains("which capabilities"), "{why}");
}

#[test]
fn prose_with_labels_after_a_ruleset_is_read() {
    // The braces' lines are code; the sentence after them, with its
    // parenthesis and labels, is the ask.
    let i = parsed(
        "nft list ruleset on gw01:\n\ntable inet filter {\n\tchain output {\n\t\ttype filter hook output priority filter; policy drop;\n\t\tip daddr 192.0.2.0/24 tcp dport 8443 accept comment \"acquirer API\"\n\t}\n}\n\nKeep its meaning: the gateway pods (app=gateway, namespace pay) may send outbound traffic only to 192.0.2.0/24 on tcp 8443, everything else dropped.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.scope.namespace.as_deref(), Some("pay"));
    assert_eq!(port_numbers(&i), vec![8443]);
}
