//! Rules of the intent parser found on the blind batches `fm-` … `fp-`
//! (BI and workflow tools, forum questions, document converters, artifact
//! registries) and on what rounds 30-32 still missed, written after they
//! were measured: what an allow-list says "must not work" is no value; a
//! port right after the gloss of whose it is opens its clause; "run 3.68.1"
//! and "on 0.46.6.1" are releases (no program, no address); the program
//! that "stop X (/path) … from spawning" names is the parent wherever it
//! lies; "the services that actually use it" and "on that port" name no
//! value; "- reading … there stays fine" leaves reads alone; a flow log's
//! "INGRESS DENIED" and "they block port 25" order nothing; "Uploads under
//! /path/ stay writable" is left alone after a question; "is there a way
//! that nothing … can modify …?" blocks. The restatement says named ports
//! and peers in labelled namespaces the way the parser reads them. Each
//! test states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Domain};
use kubescribe_intent::{parse_intent, restate};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn what_an_allow_list_says_must_not_work_is_no_value() {
    // "… egress only goes to github.com and ghcr.io on 443;
    // pool.supportxmr.com and the other pools must not work" allowed the pool.
    let i = parsed(
        "the ci pods (app=ci, namespace ci) may only reach github.com on 443; evil.example.com and the other mirrors must not work.",
    );
    assert_eq!(i.resources.fqdns, vec!["github.com"]);
}

#[test]
fn a_port_after_the_gloss_of_whose_it_is_opens_its_clause() {
    // "for our hot-warm cluster (…, namespace logging) 9300 should only be
    // reachable from …" allowed every port.
    let i = parsed(
        "For our cluster (app=es, namespace logging) 9300 should only be reachable from app=x.",
    );
    assert_eq!(port_numbers(&i), vec![9300]);
}

#[test]
fn a_release_is_no_program_and_no_address() {
    // "Until the nexus pods (…) run 3.68.1, /nexus-data/admin.password …
    // must not be readable" made the files executables.
    let i = parsed(
        "Until the api pods (app=api, namespace web) run 2.4.1, /etc/shadow must not be readable in them.",
    );
    assert_eq!(i.domain, Domain::File);
    // "Until every instance is on 0.46.6.1, alert on /bin/sh … spawned by
    // the Metabase JVM" made a network intent to 0.46.6.1/32.
    let i = parsed(
        "Until all are on 0.47.1.2, alert on /bin/sh spawned by java (/usr/bin/java) in the bi pods (app=bi, namespace bi).",
    );
    assert_eq!(i.domain, Domain::Process);
    assert!(i.resources.cidrs.is_empty());
}

#[test]
fn the_program_kept_from_spawning_is_the_parent_wherever_it_lies() {
    // "stop soffice.bin (/usr/lib/libreoffice/program/soffice.bin) … from
    // spawning /bin/sh" blocked soffice.bin too.
    let i = parsed(
        "stop renderer.bin (/opt/render/renderer.bin) in the render pods (app=render, namespace media) from spawning /bin/sh.",
    );
    assert_eq!(i.resources.sources, vec!["/opt/render/renderer.bin"]);
    assert_eq!(i.resources.binaries, vec!["/bin/sh"]);
}

#[test]
fn the_services_that_use_it_and_that_port_name_no_value() {
    // "so 9998 only takes connections from the services that actually use
    // it" allowed every source.
    let e = refused(
        "Lock down the ocr pods (app=ocr, namespace docs) so 9998 only takes connections from the services that actually use it.",
    );
    assert!(e.contains("which traffic"), "{e}");
    // "listen on whatever VERDACCIO_PORT is set to; let namespace ci in on
    // that port" was refused without naming the port.
    let e = refused(
        "the cache pods (app=cache, namespace c) listen on whatever CACHE_PORT is set to; let app=web in on that port.",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn reads_that_stay_fine_a_few_words_on_are_left_alone() {
    // "… from writing anything under /usr/local/airflow/dags/ - reading the
    // DAGs there stays fine" blocked reads too.
    let i = parsed(
        "Keep the web pods (app=web, namespace w) from writing anything under /srv/dags/ - reading the files in there stays fine.",
    );
    assert!(i.resources.read_only);
}

#[test]
fn a_flow_logs_verdict_and_what_they_block_order_nothing() {
    // "… policy-verdict:none INGRESS DENIED. Is there a way … accept 8443
    // from the kube-apiserver and nothing else?" was a contradiction.
    let i = parsed(
        "I tried to secure the api namespace. hubble shows 10.0.0.1:5000 <> api:8443 policy-verdict:none INGRESS DENIED. Is there a way to say that the api pods (app=api, namespace a) accept 8443 from app=gw and nothing else?",
    );
    assert_eq!(i.action, Action::Allow);
    // "by default, they block Port 25. … has to be restricted to our
    // relayhost …" was a contradiction.
    let i = parsed(
        "I am hosting mail in GCP. And by default, they block Port 25. So egress of the mail pods (app=mail, namespace m) has to be restricted to 203.0.113.5 on 587.",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn nothing_may_modify_after_a_question_with_uploads_left_writable() {
    // "Is there a way that nothing in the wordpress pods (…) can modify
    // anything under A or B? Uploads under C stay writable." allowed all three.
    let i = parsed(
        "Is there a way that nothing in the cms pods (app=cms, namespace web) can modify anything under /srv/core/? Uploads under /srv/uploads/ stay writable.",
    );
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
    assert_eq!(i.resources.dirs, vec!["/srv/core/"]);
}

#[test]
fn the_restatement_says_named_ports_and_labelled_namespaces_as_read() {
    // "on port the port named http"; "pods labelled a=1 namespaces labelled
    // b=2" (two peers when read back).
    for text in [
        "only app=prom may scrape the querier pods (app=querier, namespace loki) on the port named http.",
        "only app=prom may scrape the querier pods (app=querier, namespace loki) on 8080 and the port named metrics.",
        "the redis pods (app=redis, namespace redis) should only take 6379 from pods labeled redis-client=true in namespaces labeled redis=external.",
    ] {
        let p = parse_intent(text).unwrap();
        let said = restate(&p.intent);
        assert!(!said.contains("port the port"), "{said}");
        assert_eq!(parse_intent(&said).unwrap().intent, p.intent, "{said}");
    }
}
