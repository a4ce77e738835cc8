//! IP blocks (`10.0.0.0/8`, `fd00::/8`) as policies write them: parsing,
//! containment, host bits. Shared by simulation and the CIDR checks of
//! validation.

use std::net::IpAddr;

/// An IPv4 or IPv6 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address as given.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, `x::/n` or a bare address (a host block).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` lies in the block (families must agree).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }

    /// Whether the address has bits set beyond the prefix (`10.0.0.1/8`).
    pub fn has_host_bits(&self) -> bool {
        match self.addr {
            IpAddr::V4(n) => {
                let host = if self.prefix >= 32 {
                    0
                } else {
                    u32::MAX >> self.prefix
                };
                u32::from(n) & host != 0
            }
            IpAddr::V6(n) => {
                let host = if self.prefix >= 128 {
                    0
                } else {
                    u128::MAX >> self.prefix
                };
                u128::from(n) & host != 0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains("10.1.2.3".parse().unwrap()));
        assert!(!c.contains("11.1.2.3".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("fd00::/8")
                .unwrap()
                .contains("fd12::1".parse().unwrap())
        );
        assert_eq!(Cidr::parse("1.2.3.4").unwrap().prefix, 32);
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/",
            "x/8",
            "10.0.0.0/-1",
            "::/129",
        ] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
        assert!(Cidr::parse("10.0.0.1/8").unwrap().has_host_bits());
        assert!(!Cidr::parse("10.0.0.0/8").unwrap().has_host_bits());
    }
}
