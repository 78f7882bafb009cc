//! The device profile format: the typed schema of a profile and of its evidence document.
//!
//! A profile is what a fleet's configuration repository keeps per drone, in JSON or TOML:
//! identity, firmware components, the devices that operate the drone and their apps, storage
//! media, radio links and access protection. The same types are the evidence rules query
//! (plus `policy` facts added by the policy step), and they generate the published JSON
//! Schema (docs/schemas/profile.schema.json). Optional facts stay absent when the profile
//! does not state them, so a rule can tell "not stated" (not assessed) from "false".

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A device profile: what a fleet's configuration repository states about one drone, its
/// operators' devices, storage, links and access protection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Profile {
    /// Who the drone is.
    pub identity: Identity,
    /// Firmware installed on each component (aircraft, remote controller, battery, …).
    #[serde(default)]
    pub firmware: Vec<FirmwareComponent>,
    /// The devices that operate the drone: remote controllers, phones, tablets, laptops.
    #[serde(default)]
    pub controllers: Vec<Controller>,
    /// Storage media on the aircraft, the camera or the controller.
    #[serde(default)]
    pub storage: Vec<StorageMedium>,
    /// Radio and network links between the drone and its operators.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Password protection of the drone and its data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// The bill of materials: who made each part, where it was made, and where services keep
    /// the data (read by the supply-chain control, docs/supply-chain.md).
    #[serde(default)]
    pub components: Vec<Component>,
    /// What the manufacturer publishes about vulnerabilities and support (ETSI EN 303 645
    /// 5.2-1 and 5.3-13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_support: Option<VendorSupport>,
    /// A claim that the drone is on the Blue UAS cleared list, shown as stated (the list is
    /// never fetched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_uas: Option<BlueUasClaim>,
}

/// The evidence document of a profile: the profile itself, as read (defaults filled in, each
/// credential's `purpose` set), before the policy step adds its `policy` facts.
pub type ProfileEvidence = Profile;

/// The word a profile writes for a manufacturer or country it does not know.
pub const UNKNOWN: &str = "unknown";

/// One part of the system in the bill of materials.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Component {
    /// What the part is.
    pub role: ComponentRole,
    /// The part's name or model, e.g. `Pixhawk 6C`, `DJI Pilot 2`, `DJI cloud`.
    pub name: String,
    /// Who made it (or, for a service, who runs it), as its papers name it; `unknown` when
    /// nobody knows. Matched against the catalogue's manufacturers and their aliases.
    pub manufacturer: String,
    /// ISO 3166-1 alpha-2 code of the country the manufacturer is domiciled in, e.g. `CN`,
    /// `FR`, `US`; `unknown` when it is not known. Never guessed.
    pub manufacturer_country: String,
    /// ISO 3166-1 alpha-2 code of the country the part was produced (assembled) in; `unknown`
    /// when it is not known. Never guessed.
    pub made_in: String,
    /// FCC ID of the part's radio, e.g. `SS3-RM500E1910`, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fcc_id: Option<String>,
    /// FCC grantee code (the FCC ID's first 3 or 5 characters), when only that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantee_code: Option<String>,
    /// Services and data storage: ISO 3166-1 alpha-2 code of the country the data is stored
    /// in, or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_stored_in: Option<String>,
}

/// What a part of the system is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentRole {
    /// The airframe as a whole, as its maker sells it.
    Aircraft,
    /// The autopilot board (Pixhawk, Cube, a DJI flight controller).
    FlightController,
    /// Radio or datalink (control, telemetry, video).
    Radio,
    /// A camera or other payload sensor.
    Camera,
    /// The gimbal that carries a camera.
    Gimbal,
    /// The handheld controller the pilot flies with.
    RemoteController,
    /// Ground control software on a computer (QGroundControl, Mission Planner, DJI Pilot PC).
    GroundControlSoftware,
    /// An app on a phone or tablet that operates the drone.
    MobileApp,
    /// An onboard computer beside the autopilot (Raspberry Pi, Jetson).
    CompanionComputer,
    /// A vendor or third-party service the drone's data goes to.
    CloudService,
    /// Storage that keeps the drone's data (a card, a drive, a server).
    DataStorage,
    /// The flight battery (smart batteries run firmware of their own).
    Battery,
    /// Any other part.
    Other,
}

/// What the manufacturer publishes about vulnerabilities and how long it supports the product.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct VendorSupport {
    /// Whether the manufacturer publishes a vulnerability disclosure policy (ETSI EN 303 645
    /// 5.2-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_policy: Option<bool>,
    /// Where the disclosure policy is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_policy_url: Option<String>,
    /// Whether the manufacturer publishes the period during which it provides security updates
    /// (ETSI EN 303 645 5.3-13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_period_published: Option<bool>,
    /// The published end of security updates, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_updates_until: Option<String>,
    /// When these facts were checked, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<String>,
}

/// A claim that the drone is Blue UAS cleared, as the profile states it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BlueUasClaim {
    /// Whether the profile claims the drone is on the Blue UAS cleared list.
    pub cleared: bool,
    /// The date of the claim, `YYYY-MM-DD`.
    pub claimed_on: String,
    /// Where the claim comes from (a vendor letter, the list's page as read on that date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Vendor, model and serial of the aircraft.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Identity {
    /// Manufacturer, e.g. `DJI`, `Parrot`, `Holybro`.
    pub vendor: String,
    /// Model as the vendor names it, e.g. `Mavic 2 Enterprise Dual`.
    pub model: String,
    /// Aircraft serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The fleet's own name for the aircraft, e.g. `M2ED-03`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Firmware on one component of the system.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FirmwareComponent {
    /// Which part runs it: `aircraft`, `remote-controller`, `battery`, `gimbal`, `companion`…
    #[serde(default = "default_component")]
    pub component: String,
    /// Version as the vendor writes it, e.g. `01.01.0300` or `v1.14.3`.
    pub version: String,
    /// SHA-256 of the installed image, as recorded when it was installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Whether the component installs updates on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_update: Option<bool>,
    /// Where updates come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_source: Option<UpdateSource>,
    /// The version that was installed before this one, to spot downgrades.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<String>,
}

fn default_component() -> String {
    "aircraft".to_owned()
}

/// Where a component's updates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateSource {
    /// A package that IT verified and installs offline.
    OfflinePackage,
    /// An update server run by the organisation.
    Mirror,
    /// Straight from the vendor's cloud, through the app or the controller.
    VendorCloud,
}

/// A device that operates the drone.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Controller {
    /// The device's name, e.g. `DJI Smart Controller` or `Pilot iPad`.
    pub name: String,
    /// What kind of device it is.
    pub kind: ControllerKind,
    /// Operating system and version, e.g. `Android 7.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Whether airplane mode is on during flight operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub airplane_mode: Option<bool>,
    /// Cellular modem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cellular: Option<RadioState>,
    /// Wi-Fi client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wifi: Option<RadioState>,
    /// Wi-Fi hotspot or tethering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotspot: Option<RadioState>,
    /// Bluetooth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bluetooth: Option<RadioState>,
    /// Whether the device can reach the internet during operations, by any route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_access: Option<bool>,
    /// Ground station apps installed on the device.
    #[serde(default)]
    pub apps: Vec<App>,
}

/// What kind of device operates the drone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ControllerKind {
    /// A remote controller that needs a phone or tablet for its screen and apps.
    RemoteController,
    /// A remote controller with its own screen and operating system (DJI Smart Controller).
    SmartController,
    /// A phone running the ground station app.
    Phone,
    /// A tablet running the ground station app.
    Tablet,
    /// A laptop running ground control software.
    Laptop,
    /// A fixed or transportable ground control station.
    GroundStation,
}

/// State of a radio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RadioState {
    /// The device has no such radio.
    Absent,
    /// The radio is turned off during operations.
    Off,
    /// The radio is on during operations.
    On,
}

/// A ground station app.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct App {
    /// App name, e.g. `DJI Pilot`, `FreeFlight 6`, `QGroundControl`.
    pub name: String,
    /// The app's version as its maker writes it, e.g. `2.5.1.15`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// DJI Local Data Mode: the app stops all internet traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_data_mode: Option<bool>,
    /// Flight records, photos or videos synchronised to the vendor's cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_sync: Option<bool>,
    /// Flight records uploaded automatically (e.g. DJI "Automatically sync flight records").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flight_record_upload: Option<bool>,
    /// Map tiles fetched online (leaks where the drone flies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_maps: Option<bool>,
    /// The app updates itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_update: Option<bool>,
    /// Where the app was installed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_source: Option<InstallSource>,
}

/// Where an app was installed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InstallSource {
    /// The platform's app store (Google Play, Apple App Store).
    AppStore,
    /// The organisation's mobile device management.
    Mdm,
    /// A download from the vendor's web site.
    VendorSite,
    /// An APK or package from elsewhere.
    Sideloaded,
}

/// A storage medium that holds flight data.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StorageMedium {
    /// What the medium is.
    pub medium: MediumKind,
    /// Where it sits: `aircraft`, `camera`, `controller`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Whether it can be taken out; defaults from `medium` (SD cards and USB drives can).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removable: Option<bool>,
    /// Whether it is in the device when the drone is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    /// Whether its content is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Whether reading it needs a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<bool>,
    /// Whether it is formatted after every flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wipe_after_flight: Option<bool>,
    /// When a removable medium is taken out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_policy: Option<RemovalPolicy>,
    /// How many flights' logs it holds now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flight_logs: Option<u32>,
    /// Whether GPS tracks are kept on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_tracks: Option<bool>,
}

/// Kind of storage medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MediumKind {
    /// A microSD or SD card.
    SdCard,
    /// Built-in flash memory.
    Internal,
    /// A USB drive.
    Usb,
    /// A solid-state drive.
    Ssd,
}

impl MediumKind {
    pub fn removable_by_default(self) -> bool {
        matches!(self, MediumKind::SdCard | MediumKind::Usb)
    }
}

/// When a removable medium comes out of the drone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalPolicy {
    /// Taken out after every flight.
    AfterFlight,
    /// Taken out after each mission (several flights).
    AfterMission,
    /// Left in the device.
    None,
}

/// A radio or network link.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    /// The link's name, e.g. `OcuSync 2.0`, `SiK telemetry`, `Companion LTE`.
    pub name: String,
    /// Protocol family, e.g. `ocusync`, `wifi`, `mavlink`, `lte`, `lightbridge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// What the link carries: `control`, `video`, `telemetry`.
    #[serde(default)]
    pub carries: Vec<String>,
    /// Encryption of the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<LinkEncryption>,
    /// Whether MAVLink 2 message signing is on (MAVLink links only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mavlink_signing: Option<bool>,
    /// Whether the link crosses the internet or a carrier network (LTE, 4G/5G, cloud relay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet: Option<bool>,
}

/// Encryption of a link.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum LinkEncryption {
    /// No encryption: anyone in range can read and inject.
    None,
    /// WEP, broken since 2001.
    Wep,
    /// WPA1 with TKIP.
    Wpa,
    /// WPA2-PSK, AES-128 CCMP.
    Wpa2,
    /// WPA3-SAE, AES-128 CCMP.
    Wpa3,
    /// AES with a 128-bit key.
    #[serde(rename = "aes-128")]
    Aes128,
    /// AES with a 256-bit key, what the DHS alert asks for.
    #[serde(rename = "aes-256")]
    Aes256,
}

/// Password protection, by what it protects.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Access {
    /// Activating the aircraft (vendor account or local PIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<Credential>,
    /// Pairing a controller with the aircraft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing: Option<Credential>,
    /// Reading the onboard storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Credential>,
    /// Opening the ground station app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<Credential>,
}

/// How one thing is protected by a password.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Credential {
    /// What the password protects (`activation`, `pairing`, `storage`, `app`): filled in
    /// from the key under `access`, never written in a profile.
    #[serde(skip_deserializing)]
    pub purpose: String,
    /// Whether a password is required.
    pub password: bool,
    /// Whether the password is still the factory default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_password: Option<bool>,
    /// The shortest password the device accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
}
