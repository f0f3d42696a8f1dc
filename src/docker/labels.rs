//! The labels that make everything the harness starts findable (managed, the process that started
//! it, its host) and the process checks the sweep relies on. Portable: gethostname(2) and
//! kill(pid, 0), no /proc.

use std::collections::HashMap;

use testcontainers::{ContainerRequest, Image, ImageExt};

/// Set to `true` on every container and network the harness starts.
pub const LABEL_MANAGED: &str = "dev.harness.managed";
/// The process id of the harness that started it.
pub const LABEL_PID: &str = "dev.harness.pid";
/// The host name of the machine that process runs on.
pub const LABEL_HOST: &str = "dev.harness.host";

/// The owner labels: managed, this process, this host.
pub fn owner_labels() -> HashMap<String, String> {
    HashMap::from([
        (LABEL_MANAGED.to_string(), "true".to_string()),
        (LABEL_PID.to_string(), std::process::id().to_string()),
        (LABEL_HOST.to_string(), host_name()),
    ])
}

/// `request` with the owner labels.
pub fn labelled<I: Image>(request: impl Into<ContainerRequest<I>>) -> ContainerRequest<I> {
    request.into().with_labels(owner_labels())
}

/// This machine's name, as recorded in [`LABEL_HOST`]: gethostname(2), which every Unix has
/// (Linux's /proc is not on macOS).
pub fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its length; the name is NUL-terminated within it on success.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return "unknown".into();
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    match String::from_utf8_lossy(&buffer[..end]).trim() {
        "" => "unknown".into(),
        name => name.to_string(),
    }
}

/// Whether a process of this machine is alive: kill(pid, 0), which checks without signalling
/// (a process of another user answers EPERM, and is alive too).
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_and_host_name_come_from_system_calls() {
        assert!(process_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid), "a reaped process is gone");
        assert!(!process_alive(0) && !process_alive(u32::MAX));
        // The kernel's own record of the name (no `hostname` program needed).
        let expected = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(host_name(), expected.trim(), "the kernel's host name");
    }

    #[test]
    fn every_owner_label_names_this_process() {
        let labels = owner_labels();
        assert_eq!(labels[LABEL_MANAGED], "true");
        assert_eq!(labels[LABEL_PID], std::process::id().to_string());
        assert_eq!(labels[LABEL_HOST], host_name());
    }
}
