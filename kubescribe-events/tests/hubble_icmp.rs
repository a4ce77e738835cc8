//! Hubble ICMP flows keep their ICMP type (in the destination's port field,
//! where Cilium's `icmps` rules are matched); a reply describes its request.

use kubescribe_events::{Converted, Direction, EventKind, NetworkEvent, convert};

fn flow(line: &str) -> NetworkEvent {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let (_, out) = convert(&v);
    let Converted::Events(events) = &out[0] else {
        panic!("{out:?}")
    };
    let EventKind::Network(n) = &events[0].kind else {
        panic!()
    };
    n.clone()
}

#[test]
fn icmp_type_is_kept() {
    let request = flow(
        r#"{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"ICMPv4":{"type":8}},"source":{"namespace":"a","labels":["k8s:app=c"],"pod_name":"c"},"destination":{"namespace":"a","labels":["k8s:app=s"],"pod_name":"s"},"traffic_direction":"EGRESS"}}"#,
    );
    assert_eq!(request.protocol, "ICMPv4");
    assert_eq!(request.direction, Direction::Egress);
    assert_eq!((request.local_port, request.remote_port), (None, Some(8)));

    // The echo reply, seen at the server's ingress side as a reply: the
    // connection is still the client's echo request to the server.
    let reply = flow(
        r#"{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.2","destination":"10.0.0.1"},"l4":{"ICMPv4":{"type":0}},"source":{"namespace":"a","labels":["k8s:app=s"],"pod_name":"s"},"destination":{"namespace":"a","labels":["k8s:app=c"],"pod_name":"c"},"traffic_direction":"EGRESS","is_reply":true}}"#,
    );
    assert_eq!(reply.remote_ip.as_deref(), Some("10.0.0.2"));
    assert_eq!((reply.local_port, reply.remote_port), (None, Some(8)));

    let v6 = flow(
        r#"{"flow":{"verdict":"FORWARDED","l4":{"ICMPv6":{"type":128}},"source":{"namespace":"a","labels":["k8s:app=s"],"pod_name":"s"},"destination":{"namespace":"a","labels":["k8s:app=c"],"pod_name":"c"},"traffic_direction":"INGRESS"}}"#,
    );
    assert_eq!(v6.direction, Direction::Ingress);
    assert_eq!((v6.local_port, v6.remote_port), (Some(128), None));
}
