//! The sshd_config(5) keywords: what each one is (an alias, repeatable, a yes/no-style flag,
//! allowed inside `Match`, never in a client's ssh_config), and the defaults OpenSSH applies
//! to the security-relevant ones when a file does not set them.
//!
//! The table follows OpenSSH 9.x `servconf.c` plus the keywords Debian and Red Hat patch in,
//! and keeps the deprecated and unsupported keywords that old files still carry (`Protocol`,
//! `UsePrivilegeSeparation` …), so that a file written for an older sshd is still read.

/// Whether current OpenSSH still acts on a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Current,
    /// Accepted and ignored, with a log line (`Protocol`, `UseLogin`, `RSAAuthentication` …).
    Deprecated,
}

/// One sshd_config keyword.
#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    /// As sshd_config(5) spells it.
    pub spelling: &'static str,
    /// The option the keyword sets: itself, or the option it is an alias of
    /// (`ChallengeResponseAuthentication` sets `KbdInteractiveAuthentication`).
    pub option: &'static str,
    /// Each occurrence adds to the value (`Port`, `ListenAddress`, `AllowUsers` …) instead of
    /// only the first one counting.
    pub repeats: bool,
    /// Takes one of a few words (`yes`, `no`, `prohibit-password` …) that sshd compares
    /// case-insensitively; the evidence lowercases them.
    pub flag: bool,
    /// Allowed inside a `Match` block.
    pub in_match: bool,
    /// Only an sshd_config has it, never a client's ssh_config: identification needs one.
    pub server_only: bool,
    pub status: Status,
}

impl Keyword {
    /// The option's name in lowercase: the key effective values are filed under.
    pub fn option_name(&self) -> String {
        self.option.to_ascii_lowercase()
    }
}

/// A keyword allowed only in the global section.
const fn global(spelling: &'static str) -> Keyword {
    Keyword {
        spelling,
        option: spelling,
        repeats: false,
        flag: false,
        in_match: false,
        server_only: false,
        status: Status::Current,
    }
}

/// A keyword also allowed inside `Match` blocks.
const fn any(spelling: &'static str) -> Keyword {
    Keyword {
        in_match: true,
        ..global(spelling)
    }
}

impl Keyword {
    const fn flag(self) -> Keyword {
        Keyword { flag: true, ..self }
    }
    const fn repeats(self) -> Keyword {
        Keyword {
            repeats: true,
            ..self
        }
    }
    const fn server(self) -> Keyword {
        Keyword {
            server_only: true,
            ..self
        }
    }
    const fn alias_of(self, option: &'static str) -> Keyword {
        Keyword { option, ..self }
    }
    const fn deprecated(self) -> Keyword {
        Keyword {
            status: Status::Deprecated,
            ..self
        }
    }
}

static KEYWORDS: &[Keyword] = &[
    global("AcceptEnv").repeats().server(),
    global("AddressFamily").flag(),
    any("AllowAgentForwarding").flag().server(),
    any("AllowGroups").repeats().server(),
    any("AllowStreamLocalForwarding").flag().server(),
    any("AllowTcpForwarding").flag().server(),
    any("AllowUsers").repeats().server(),
    any("AuthenticationMethods").server(),
    any("AuthorizedKeysCommand").server(),
    any("AuthorizedKeysCommandUser").server(),
    any("AuthorizedKeysFile").server(),
    any("AuthorizedPrincipalsCommand").server(),
    any("AuthorizedPrincipalsCommandUser").server(),
    any("AuthorizedPrincipalsFile").server(),
    any("Banner").server(),
    any("CASignatureAlgorithms"),
    any("ChannelTimeout").server(),
    any("ChrootDirectory").server(),
    global("Ciphers"),
    any("ClientAliveCountMax").server(),
    any("ClientAliveInterval").server(),
    global("Compression").flag(),
    global("DebianBanner").flag().server(),
    any("DenyGroups").repeats().server(),
    any("DenyUsers").repeats().server(),
    any("DisableForwarding").flag().server(),
    any("ExposeAuthInfo").flag().server(),
    global("FingerprintHash").flag(),
    any("ForceCommand").server(),
    any("GatewayPorts").flag(),
    any("GSSAPIAuthentication").flag(),
    global("GSSAPICleanupCredentials").flag().server(),
    global("GSSAPIKexAlgorithms"),
    global("GSSAPIKeyExchange").flag(),
    global("GSSAPIStoreCredentialsOnRekey").flag().server(),
    global("GSSAPIStrictAcceptorCheck").flag().server(),
    any("HostbasedAcceptedAlgorithms"),
    any("HostbasedAuthentication").flag(),
    any("HostbasedUsesNameFromPacketOnly").flag().server(),
    global("HostCertificate").repeats().server(),
    global("HostKey").repeats().server(),
    global("HostKeyAgent").server(),
    global("HostKeyAlgorithms"),
    any("IgnoreRhosts").flag().server(),
    global("IgnoreUserKnownHosts").flag().server(),
    any("Include"),
    any("IPQoS"),
    any("KbdInteractiveAuthentication").flag(),
    any("KerberosAuthentication").flag().server(),
    global("KerberosGetAFSToken").flag().server(),
    global("KerberosOrLocalPasswd").flag().server(),
    global("KerberosTicketCleanup").flag().server(),
    global("KexAlgorithms"),
    global("ListenAddress").repeats().server(),
    global("LoginGraceTime").server(),
    any("LogLevel"),
    any("LogVerbose").server(),
    global("MACs"),
    any("Match"),
    any("MaxAuthTries").server(),
    any("MaxSessions").server(),
    global("MaxStartups").server(),
    global("ModuliFile").server(),
    any("PAMServiceName").server(),
    any("PasswordAuthentication").flag(),
    any("PermitEmptyPasswords").flag().server(),
    any("PermitListen").server(),
    any("PermitOpen").server(),
    any("PermitRootLogin").flag().server(),
    any("PermitTTY").flag().server(),
    any("PermitTunnel").flag().server(),
    global("PermitUserEnvironment").flag().server(),
    any("PermitUserRC").flag().server(),
    global("PerSourceMaxStartups").server(),
    global("PerSourceNetBlockSize").server(),
    global("PerSourcePenalties").server(),
    global("PerSourcePenaltyExemptList").server(),
    global("PidFile").server(),
    global("Port").repeats(),
    global("PrintLastLog").flag().server(),
    global("PrintMotd").flag().server(),
    any("PubkeyAcceptedAlgorithms"),
    any("PubkeyAuthentication").flag(),
    any("PubkeyAuthOptions").server(),
    any("RDomain").server(),
    any("RefuseConnection").flag().server(),
    any("RekeyLimit"),
    any("RequiredRSASize"),
    any("RevokedKeys").server(),
    global("SecurityKeyProvider"),
    any("SetEnv"),
    global("SshdAuthPath").server(),
    global("SshdSessionPath").server(),
    any("StreamLocalBindMask").server(),
    any("StreamLocalBindUnlink").flag().server(),
    global("StrictModes").flag().server(),
    any("Subsystem").repeats().server(),
    global("SyslogFacility").server(),
    global("TCPKeepAlive").flag(),
    any("TrustedUserCAKeys").server(),
    any("UnusedConnectionTimeout").server(),
    global("UseDNS").flag().server(),
    global("UsePAM").flag().server(),
    global("VersionAddendum").server(),
    any("X11DisplayOffset").server(),
    any("X11Forwarding").flag().server(),
    any("X11UseLocalhost").flag().server(),
    global("XAuthLocation"),
    // Aliases that still set an option.
    any("ChallengeResponseAuthentication")
        .flag()
        .alias_of("KbdInteractiveAuthentication"),
    any("SkeyAuthentication")
        .flag()
        .alias_of("KbdInteractiveAuthentication"),
    global("DSAAuthentication")
        .flag()
        .alias_of("PubkeyAuthentication"),
    global("HostDSAKey").repeats().server().alias_of("HostKey"),
    any("HostbasedAcceptedKeyTypes").alias_of("HostbasedAcceptedAlgorithms"),
    any("PubkeyAcceptedKeyTypes").alias_of("PubkeyAcceptedAlgorithms"),
    global("KeepAlive").flag().alias_of("TCPKeepAlive"),
    // Keywords current OpenSSH accepts and ignores; older ones acted on them.
    global("Protocol").deprecated(),
    global("UsePrivilegeSeparation")
        .flag()
        .server()
        .deprecated(),
    global("KeyRegenerationInterval").server().deprecated(),
    global("ServerKeyBits").server().deprecated(),
    any("RSAAuthentication").flag().deprecated(),
    any("RhostsRSAAuthentication").flag().deprecated(),
    global("RhostsAuthentication").flag().deprecated(),
    global("UseLogin").flag().server().deprecated(),
    global("CheckMail").flag().server().deprecated(),
    global("VerifyReverseMapping").flag().server().deprecated(),
    global("ReverseMappingCheck").flag().server().deprecated(),
    any("AuthorizedKeysFile2").server().deprecated(),
    global("KerberosTgtPassing").flag().server().deprecated(),
    global("AFSTokenPassing").flag().server().deprecated(),
    global("PAMAuthenticationViaKbdInt")
        .flag()
        .server()
        .deprecated(),
    global("ShowPatchLevel").flag().server().deprecated(),
];

/// The keyword `word` names, compared case-insensitively as sshd does.
pub fn lookup(word: &str) -> Option<&'static Keyword> {
    KEYWORDS
        .iter()
        .find(|keyword| keyword.spelling.eq_ignore_ascii_case(word))
}

/// Security-relevant options and OpenSSH's built-in value for each (sshd_config(5), OpenSSH
/// 9.x upstream; Debian and Raspberry Pi OS ship a file that sets some of them, which a scan
/// of that file sees). `ListenAddress` depends on `AddressFamily` and is computed apart.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("PermitRootLogin", "prohibit-password"),
    ("PasswordAuthentication", "yes"),
    ("PermitEmptyPasswords", "no"),
    ("KbdInteractiveAuthentication", "yes"),
    ("UsePAM", "no"),
    ("PubkeyAuthentication", "yes"),
    ("AuthenticationMethods", "any"),
    ("HostbasedAuthentication", "no"),
    ("X11Forwarding", "no"),
    ("AllowTcpForwarding", "yes"),
    ("AllowAgentForwarding", "yes"),
    ("AllowStreamLocalForwarding", "yes"),
    ("DisableForwarding", "no"),
    ("GatewayPorts", "no"),
    ("PermitTunnel", "no"),
    ("PermitUserEnvironment", "no"),
    ("MaxAuthTries", "6"),
    ("Port", "22"),
    ("AddressFamily", "any"),
];

/// Options the effective view lists only when the file sets them: their built-in values are
/// sound and differ between OpenSSH releases, so "absent" says more than a guessed default.
pub const REPORTED_WHEN_SET: &[&str] = &[
    "Ciphers",
    "MACs",
    "KexAlgorithms",
    "HostKeyAlgorithms",
    "PubkeyAcceptedAlgorithms",
    "Protocol",
    "AllowUsers",
    "AllowGroups",
    "DenyUsers",
    "DenyGroups",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_are_unique_and_aliases_point_at_options() {
        for (index, keyword) in KEYWORDS.iter().enumerate() {
            assert!(
                KEYWORDS[index + 1..]
                    .iter()
                    .all(|other| !other.spelling.eq_ignore_ascii_case(keyword.spelling)),
                "{} twice",
                keyword.spelling
            );
            let option = lookup(keyword.option).expect("alias target is a keyword");
            assert_eq!(
                option.option, option.spelling,
                "{} aliases an alias",
                keyword.spelling
            );
        }
        for (option, _) in DEFAULTS {
            assert!(lookup(option).is_some(), "{option}");
        }
        for option in REPORTED_WHEN_SET {
            assert!(lookup(option).is_some(), "{option}");
        }
    }

    #[test]
    fn lookup_ignores_case() {
        let keyword = lookup("PERMITrootlogin").unwrap();
        assert_eq!(keyword.spelling, "PermitRootLogin");
        assert!(keyword.flag && keyword.server_only && keyword.in_match);
        assert_eq!(
            lookup("challengeresponseauthentication")
                .unwrap()
                .option_name(),
            "kbdinteractiveauthentication"
        );
        assert!(lookup("HostName").is_none(), "client-only keyword");
    }
}
