//! Tetragon JSON export (process_exec, process_kprobe, ...) to events.

use super::*;

pub(super) fn tetragon(v: &Value) -> Result<Vec<Event>, Skip> {
    let o = v.as_object().ok_or_else(|| invalid("not an object"))?;
    let (ty, body) = o
        .iter()
        .find(|(k, _)| k.starts_with("process_"))
        .ok_or_else(|| invalid("no process_* key"))?;
    if !body.is_object() {
        return Err(invalid(format!(
            "`{ty}` must be an object, found {}",
            type_name(body)
        )));
    }
    let node = string_of(v, "node_name")?;
    let ts = str_of(v, "time")?.and_then(parse_rfc3339);
    let process = match ty.as_str() {
        "process_throttle" => {
            return Err(Skip {
                reason: SkipReason::NotRuntimeActivity,
                message: "process_throttle is a Tetragon rate-limit notice".into(),
            });
        }
        "process_close" => {
            return Err(Skip {
                reason: SkipReason::NotRuntimeActivity,
                message: "process_close ends a connection already recorded by process_connect"
                    .into(),
            });
        }
        "process_exec" | "process_exit" | "process_kprobe" | "process_tracepoint"
        | "process_uprobe" | "process_lsm" | "process_connect" | "process_listen" => {
            obj(body, "process")?.ok_or_else(|| invalid(format!("`{ty}` without `process`")))?
        }
        other => {
            return Err(Skip {
                reason: SkipReason::UnknownEventType,
                message: format!("Tetragon event type {other:?}"),
            });
        }
    };
    let pod = tetragon_pod(process, node)?;
    let binary = string_of(process, "binary")?
        .ok_or_else(|| invalid(format!("`{ty}.process.binary` missing")))?;
    let parent = match obj(body, "parent")? {
        Some(p) => string_of(p, "binary")?,
        None => None,
    };
    let uid = int_of(process, "uid")?;
    let exec = |action| ProcessEvent {
        action,
        binary: binary.clone(),
        args: None,
        parent: parent.clone(),
        uid,
        by_owner: None,
    };
    let ev = |result, kind| event(SourceEngine::Tetragon, ts, &pod, result, kind);
    Ok(match ty.as_str() {
        "process_exec" => {
            let mut p = exec(ProcessAction::Exec);
            p.args = string_of(process, "arguments")?;
            vec![ev(None, EventKind::Process(p))]
        }
        "process_exit" => {
            let mut p = exec(ProcessAction::Exit);
            p.args = string_of(process, "arguments")?;
            let status = int_of(body, "status")?;
            let signal = string_of(body, "signal")?;
            let result = signal.or(status.map(|s| format!("status {s}")));
            vec![ev(result, EventKind::Process(p))]
        }
        "process_connect" | "process_listen" => {
            let listen = ty == "process_listen";
            vec![ev(
                None,
                EventKind::Network(NetworkEvent {
                    protocol: string_of(body, "protocol")?.unwrap_or_else(|| "TCP".into()),
                    direction: if listen {
                        Direction::Listen
                    } else {
                        Direction::Egress
                    },
                    local_ip: string_of(body, "source_ip")?,
                    local_port: port_of(body, "source_port")?,
                    remote_ip: if listen {
                        None
                    } else {
                        string_of(body, "destination_ip")?
                    },
                    remote_port: if listen {
                        None
                    } else {
                        port_of(body, "destination_port")?
                    },
                    peer: None,
                    dns_name: None,
                    process: Some(binary.clone()),
                    http: None,
                }),
            )]
        }
        _ => tetragon_hook(body, &binary, ev)?,
    })
}

fn tetragon_pod(process: &Value, node: Option<String>) -> Result<PodMeta, Skip> {
    let mut pod = PodMeta {
        node,
        ..PodMeta::default()
    };
    if let Some(p) = obj(process, "pod")? {
        pod.namespace = string_of(p, "namespace")?;
        pod.pod = string_of(p, "name")?;
        if let Some(c) = obj(p, "container")? {
            pod.container = string_of(c, "name")?;
        }
        match p.get("pod_labels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, val) in m {
                    let s = val
                        .as_str()
                        .ok_or_else(|| invalid(format!("pod label {k:?} must be a string")))?;
                    pod.labels.insert(k.clone(), s.to_string());
                }
            }
            Some(other) => {
                return Err(invalid(format!(
                    "`pod_labels` must be an object, found {}",
                    type_name(other)
                )));
            }
        }
    }
    Ok(pod)
}

/// kprobe / tracepoint / uprobe / lsm events: a file, network or capability
/// event when an argument says so, a syscall event otherwise.
fn tetragon_hook(
    body: &Value,
    binary: &str,
    ev: impl Fn(Option<String>, EventKind) -> Event,
) -> Result<Vec<Event>, Skip> {
    let function = match string_of(body, "function_name")? {
        Some(f) => f,
        None => match (string_of(body, "subsys")?, string_of(body, "event")?) {
            (Some(s), Some(e)) => format!("{s}/{e}"),
            (None, Some(e)) => e,
            _ => string_of(body, "symbol")?.unwrap_or_else(|| "unknown".into()),
        },
    };
    let args: &[Value] = match body.get("args") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(invalid(format!(
                "`args` must be an array, found {}",
                type_name(other)
            )));
        }
    };
    let result = match body.get("return").and_then(|r| r.get("int_arg")) {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut out = Vec::new();
    let mut ints = Vec::new();
    // Every argument but the paths, `type=value` in the policy's order (a
    // TracingPolicy's matchArgs name arguments by position).
    let mut listed = Vec::new();
    for a in args {
        let Some(m) = a.as_object() else {
            return Err(invalid(format!(
                "kprobe argument must be an object, found {}",
                type_name(a)
            )));
        };
        for (k, val) in m {
            if k == "label" {
                continue;
            }
            match k.as_str() {
                "file_arg" | "path_arg" | "linux_binprm_arg" => {
                    let path = string_of(val, "path")?
                        .ok_or_else(|| invalid(format!("`{k}.path` missing")))?;
                    out.push((path, string_of(val, "flags")?));
                }
                "int_arg" | "size_arg" => {
                    if let Some(i) = val.as_i64() {
                        ints.push(i);
                    }
                    listed.push(format!("{k}={}", compact(val)));
                }
                "sock_arg" | "skb_arg" | "sockaddr_arg" => {
                    let net = NetworkEvent {
                        protocol: string_of(val, "protocol")?
                            .map(|p| p.trim_start_matches("IPPROTO_").to_string())
                            .unwrap_or_else(|| "unknown".into()),
                        direction: if function.contains("accept") {
                            Direction::Ingress
                        } else if function.contains("bind") || function.contains("listen") {
                            Direction::Listen
                        } else {
                            Direction::Egress
                        },
                        local_ip: string_of(val, "saddr")?,
                        local_port: port_of(val, "sport")?,
                        remote_ip: string_of(val, "daddr")?,
                        remote_port: port_of(val, "dport")?,
                        peer: None,
                        dns_name: None,
                        process: Some(binary.to_string()),
                        http: None,
                    };
                    return Ok(vec![ev(result, EventKind::Network(net))]);
                }
                "capability_arg" => {
                    let name = string_of(val, "name")?.unwrap_or_else(|| "unknown".into());
                    return Ok(vec![ev(
                        result,
                        EventKind::Syscall(SyscallEvent {
                            kind: SyscallKind::Capability,
                            name,
                            args: Some(function.clone()),
                            process: Some(binary.to_string()),
                        }),
                    )]);
                }
                _ => listed.push(format!("{k}={}", compact(val))),
            }
        }
    }
    if !out.is_empty() {
        let op = tetragon_file_op(&function, &ints);
        return Ok(out
            .into_iter()
            .map(|(path, flags)| {
                ev(
                    result.clone(),
                    EventKind::File(FileEvent {
                        path,
                        operation: op,
                        flags,
                        syscall: Some(function.clone()),
                        process: Some(binary.to_string()),
                        by_owner: None,
                    }),
                )
            })
            .collect());
    }
    let all = listed;
    Ok(vec![ev(
        result,
        EventKind::Syscall(SyscallEvent {
            kind: SyscallKind::Syscall,
            name: function,
            args: (!all.is_empty()).then(|| all.join(" ")),
            process: Some(binary.to_string()),
        }),
    )])
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn tetragon_file_op(function: &str, ints: &[i64]) -> FileOperation {
    let f = function.to_ascii_lowercase();
    if f == "security_file_permission" || f == "security_mmap_file" {
        // MAY_EXEC 1, MAY_WRITE 2, MAY_READ 4 (mmap: PROT_EXEC 4, PROT_WRITE 2, PROT_READ 1).
        if let Some(&mask) = ints.first() {
            let (exec, write, read) = if f == "security_mmap_file" {
                (4, 2, 1)
            } else {
                (1, 2, 4)
            };
            return if mask & write != 0 {
                FileOperation::Write
            } else if mask & exec != 0 {
                FileOperation::Exec
            } else if mask & read != 0 {
                FileOperation::Read
            } else {
                FileOperation::Open
            };
        }
    }
    if f.contains("bprm") || f.contains("exec") {
        FileOperation::Exec
    } else if [
        "write", "truncate", "unlink", "rename", "chmod", "chown", "mkdir", "rmdir", "link",
    ]
    .iter()
    .any(|w| f.contains(w))
    {
        FileOperation::Write
    } else if f.contains("read") {
        FileOperation::Read
    } else {
        FileOperation::Open
    }
}
