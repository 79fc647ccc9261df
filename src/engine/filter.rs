//! A dataset's filter pipeline entries, as vh5 names and shows them.

use super::h5;

/// One entry of the filter pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub id: i32,
    pub name: String,
    pub cd_values: Vec<u32>,
    /// Whether this build can apply it (`H5Zfilter_avail`: built in, or a
    /// plugin found on HDF5's plugin path).
    pub available: bool,
}

impl Filter {
    /// A pipeline entry; without a stored name, the id's common name.
    pub fn new(id: i32, name: &str, cd_values: Vec<u32>) -> Filter {
        let name = match (name, known_filter_name(id)) {
            ("", Some(known)) => known.to_string(),
            _ => name.to_string(),
        };
        Filter {
            id,
            name,
            cd_values,
            available: h5::filter_available(id),
        }
    }

    /// `blosc (32001)`.
    pub fn label(&self) -> String {
        match self.name.as_str() {
            "" => format!("filter {}", self.id),
            name => format!("{name} ({})", self.id),
        }
    }
}

/// A filter's common name by its registered id, for pipelines that store
/// none (a filter this build does not have writes no name).
pub fn known_filter_name(id: i32) -> Option<&'static str> {
    Some(match id {
        1 => "deflate",
        2 => "shuffle",
        3 => "fletcher32",
        4 => "szip",
        5 => "nbit",
        6 => "scaleoffset",
        307 => "bzip2",
        32000 => "lzf",
        32001 => "blosc",
        32004 => "lz4",
        32008 => "bitshuffle",
        32013 => "zfp",
        32015 => "zstd",
        32017 => "sz",
        32024 => "sz3",
        32026 => "blosc2",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_filters_have_names() {
        assert_eq!(known_filter_name(32001), Some("blosc"));
        assert_eq!(known_filter_name(32015), Some("zstd"));
        assert_eq!(known_filter_name(12345), None);
    }
}
