//! Names the parser knows on the host: executables by their program name,
//! well-known directories, system calls and capabilities.

pub(super) const BINARIES: &[(&str, &str)] = &[
    ("nginx", "/usr/sbin/nginx"),
    ("apache2", "/usr/sbin/apache2"),
    ("httpd", "/usr/sbin/httpd"),
    ("sshd", "/usr/sbin/sshd"),
    ("bash", "/bin/bash"),
    ("sh", "/bin/sh"),
    ("zsh", "/bin/zsh"),
    ("dash", "/bin/dash"),
    ("python", "/usr/bin/python"),
    ("python3", "/usr/bin/python3"),
    ("curl", "/usr/bin/curl"),
    ("wget", "/usr/bin/wget"),
    ("apt", "/usr/bin/apt"),
    ("apt-get", "/usr/bin/apt-get"),
    ("java", "/usr/bin/java"),
    ("node", "/usr/local/bin/node"),
    ("perl", "/usr/bin/perl"),
    ("ruby", "/usr/bin/ruby"),
    ("nc", "/bin/nc"),
    ("netcat", "/bin/nc"),
    ("ping", "/bin/ping"),
    ("ls", "/bin/ls"),
    ("cat", "/bin/cat"),
    ("chmod", "/bin/chmod"),
    ("chown", "/bin/chown"),
    ("mysqld", "/usr/sbin/mysqld"),
    ("postgres", "/usr/lib/postgresql/bin/postgres"),
    ("redis-server", "/usr/local/bin/redis-server"),
    ("sudo", "/usr/bin/sudo"),
    ("su", "/bin/su"),
    ("ssh", "/usr/bin/ssh"),
    ("nmap", "/usr/bin/nmap"),
    ("tcpdump", "/usr/sbin/tcpdump"),
    ("passwd", "/usr/bin/passwd"),
    ("mount", "/bin/mount"),
    ("kubectl", "/usr/local/bin/kubectl"),
    ("yum", "/usr/bin/yum"),
    ("dnf", "/usr/bin/dnf"),
    ("apk", "/sbin/apk"),
    ("pip", "/usr/bin/pip"),
    ("zypper", "/usr/bin/zypper"),
];

/// Whether an absolute path looks like an executable: it lies in a `bin` or
/// `sbin` directory, or its name is a program of the lexicon
/// (`/mgmt/tm/util/bash`); a name with a data or script extension
/// (`.js`, `.conf`, `.yaml` …) is a file, wherever it lies.
pub(super) fn exec_looking(p: &str) -> bool {
    let (dir, name) = p.rsplit_once('/').unwrap_or(("", p));
    let data = name.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext.to_ascii_lowercase().as_str(),
            "js" | "json"
                | "conf"
                | "cnf"
                | "cfg"
                | "ini"
                | "yaml"
                | "yml"
                | "xml"
                | "txt"
                | "log"
                | "properties"
                | "pem"
                | "key"
                | "crt"
                | "php"
                | "html"
                | "db"
        )
    });
    !data
        && !name.is_empty()
        && (dir.ends_with("/bin")
            || dir.ends_with("/sbin")
            || dir == "/bin"
            || dir == "/sbin"
            || BINARIES.iter().any(|(b, _)| *b == name))
}

pub(super) const KNOWN_DIRS: &[&str] = &[
    "/etc",
    "/tmp",
    "/var",
    "/var/www",
    "/var/log",
    "/var/lib",
    "/var/run",
    "/var/tmp",
    "/var/cache",
    "/var/spool",
    "/usr",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/local",
    "/usr/local/bin",
    "/usr/share",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/home",
    "/root",
    "/proc",
    "/sys",
    "/dev",
    "/opt",
    "/srv",
    "/run",
    "/mnt",
    "/media",
    "/boot",
    "/app",
    "/data",
    "/etc/nginx",
    "/etc/ssl",
    "/etc/ssh",
    "/etc/kubernetes",
    "/var/lib/mysql",
    "/var/lib/postgresql",
    "/usr/share/nginx/html",
    "/run/secrets",
    "/var/run/secrets",
];

pub(super) const SYSCALLS_CLEAR: &[&str] = &[
    "ptrace",
    "kcmp",
    "unshare",
    "setns",
    "init_module",
    "finit_module",
    "delete_module",
    "perf_event_open",
    "keyctl",
    "bpf",
    "kexec_load",
    "personality",
    "pivot_root",
    "chroot",
    "process_vm_readv",
    "process_vm_writev",
    "userfaultfd",
    "mknod",
    "execve",
    "execveat",
    "openat",
    "setuid",
    "setgid",
    "umount2",
    "swapon",
    "reboot",
    "add_key",
    "request_key",
    "clock_settime",
    "settimeofday",
    "acct",
    "quotactl",
    "iopl",
    "ioperm",
    "linkat",
    "symlinkat",
    "fchown",
    "lchown",
    "fchownat",
    "fchmod",
    "fchmodat",
    "unlinkat",
    "renameat",
    "renameat2",
    "memfd_create",
    "dup2",
    "dup3",
    "setresuid",
    "setresgid",
    "capset",
    "mount_setattr",
    "open_by_handle_at",
    // Newer than the KubeArmor table, still system calls.
    "clone3",
    "openat2",
    "pidfd_open",
    "pidfd_getfd",
    "pidfd_send_signal",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "fsopen",
    "fsmount",
    "move_mount",
    "open_tree",
    "process_madvise",
    "faccessat2",
];
pub(super) const SYSCALLS_WORDY: &[&str] = &[
    "mount", "umount", "kill", "open", "read", "write", "connect", "bind", "socket", "clone",
    "fork", "chmod", "chown", "unlink", "rename", "accept", "listen", "mmap", "mprotect",
];

pub(super) const CAPABILITIES: &[&str] = &[
    "net_raw",
    "net_admin",
    "sys_admin",
    "sys_ptrace",
    "sys_module",
    "dac_override",
    "dac_read_search",
    "setuid",
    "setgid",
    "chown",
    "sys_time",
    "net_bind_service",
    "mknod",
    "kill",
    "fowner",
    "fsetid",
    "sys_chroot",
    "audit_write",
    "sys_boot",
    "sys_rawio",
    "sys_resource",
    "ipc_lock",
    "syslog",
    "bpf",
    "perfmon",
    "setpcap",
    "setfcap",
    "linux_immutable",
    "mac_admin",
    "mac_override",
    "sys_nice",
    "sys_pacct",
    "sys_tty_config",
    "lease",
    "wake_alarm",
    "block_suspend",
    "audit_control",
    "audit_read",
    "checkpoint_restore",
    "net_broadcast",
    "ipc_owner",
];
