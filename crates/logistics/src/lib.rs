//! Parcel tracking over a carrier-tracking HTTP API, behind trade's tracking port.
