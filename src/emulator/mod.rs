//! Zadig's build API on loopback, with its quirks (`zadig-openapi.md` §11), for tests,
//! benchmarks and first-time users. Keeps its own store and wire types: it models Zadig,
//! never the client's reading of Zadig.
