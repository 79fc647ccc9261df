//! The group tree of one version, read on demand.

use hdf5::Group;

use super::attrs::{self, Attr};
use super::error::{bad_input, Result};
use super::file::Vh5File;
use super::h5::{self, ObjType};
use super::layout::VERSION_GROUP_SYSTEM_ATTRS;
use super::versions::Version;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Group,
    Dataset,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Group => "group",
            NodeKind::Dataset => "dataset",
        }
    }
}

/// One node of a version's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Absolute path inside the version, `/` for its root.
    pub path: String,
    pub kind: NodeKind,
}

impl Node {
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }
}

/// Normalizes a user path: leading `/` optional, no empty, `.` or `..` parts.
pub fn normalize_path(path: &str) -> Result<String> {
    let trimmed = path.trim();
    if trimmed.is_empty() || trimmed == "/" {
        return Ok("/".into());
    }
    let parts: Vec<&str> = trimmed
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        bad_input!("malformed path {path:?}");
    }
    Ok(format!("/{}", parts.join("/")))
}

pub fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Relative name of a path under a version root (HDF5 wants no leading `/`).
fn relative(path: &str) -> &str {
    path.trim_start_matches('/')
}

impl Vh5File {
    /// What is at `path` in a version, or a bad-input error naming it.
    pub fn node(&self, version: &Version, path: &str) -> Result<Node> {
        let path = normalize_path(path)?;
        if path == "/" {
            return Ok(Node {
                path,
                kind: NodeKind::Group,
            });
        }
        let root = self.version_root(&version.name)?;
        let kind = self
            .kind_at(&version.name, &root, relative(&path), &path)
            .ok_or_else(|| not_found(&path, version))?;
        Ok(Node { path, kind })
    }

    /// The groups and datasets directly inside a group, sorted by name bytes.
    pub fn children(&self, version: &Version, path: &str) -> Result<Vec<Node>> {
        let node = self.node(version, path)?;
        if node.kind != NodeKind::Group {
            return Ok(Vec::new());
        }
        let group = self.group_at(version, &node.path)?;
        let mut out = Vec::new();
        for name in group.member_names()? {
            let path = join(&node.path, &name);
            if let Some(kind) = self.kind_at(&version.name, &group, &name, &path) {
                out.push(Node { path, kind });
            }
        }
        out.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        Ok(out)
    }

    /// Every group and dataset below `path`, sorted by path as UTF-8 bytes.
    /// A dataset path lists just itself.
    pub fn walk(&self, version: &Version, path: &str) -> Result<Vec<Node>> {
        let node = self.node(version, path)?;
        if node.kind == NodeKind::Dataset {
            return Ok(vec![node]);
        }
        let mut out = Vec::new();
        let mut pending = vec![node.path];
        while let Some(dir) = pending.pop() {
            for child in self.children(version, &dir)? {
                if child.kind == NodeKind::Group {
                    pending.push(child.path.clone());
                }
                out.push(child);
            }
        }
        out.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        Ok(out)
    }

    /// Whether `version` has a dataset at `path` (a normalized path).
    pub(crate) fn has_dataset(&self, version: &str, path: &str) -> bool {
        self.version_root(version).is_ok_and(|root| {
            self.kind_at(version, &root, relative(path), path) == Some(NodeKind::Dataset)
        })
    }

    /// What the object `name` below `parent` (a group of `version`) is,
    /// `path` its normalized path in the version, in one lookup that also
    /// notes a dataset's header address for later opens; `None` for
    /// nothing there, a dangling link or a named datatype.
    fn kind_at(&self, version: &str, parent: &Group, name: &str, path: &str) -> Option<NodeKind> {
        let (addr, kind) = h5::object_addr(parent.id(), name).ok()??;
        match kind {
            ObjType::Group => Some(NodeKind::Group),
            ObjType::Dataset => {
                self.note_dataset_header(version, path, addr);
                Some(NodeKind::Dataset)
            }
            _ => None,
        }
    }

    pub(crate) fn group_at(&self, version: &Version, path: &str) -> Result<Group> {
        let root = self.version_root(&version.name)?;
        Ok(match relative(path) {
            "" => root,
            rel => root.group(rel)?,
        })
    }

    /// User attributes of a group (the version group's own bookkeeping left out).
    pub fn group_attrs(&self, version: &Version, path: &str) -> Result<Vec<Attr>> {
        let node = self.node(version, path)?;
        if node.kind != NodeKind::Group {
            bad_input!("{} is a dataset, not a group", node.path);
        }
        let group = self.group_at(version, &node.path)?;
        let skip: &[&str] = match (self.is_versioned(), node.path.as_str()) {
            (true, "/") => &VERSION_GROUP_SYSTEM_ATTRS,
            _ => &[],
        };
        attrs::read_attrs(&group, skip)
    }
}

pub(crate) fn not_found(path: &str, version: &Version) -> super::error::Error {
    if version.name == super::versions::PLAIN_VERSION {
        super::error::Error::bad_input(format!("no such path {path}"))
    } else {
        super::error::Error::bad_input(format!("no such path {path} in version {}", version.name))
    }
}

/// Groups and datasets only; links that dangle and named types are skipped.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize() {
        assert_eq!(normalize_path("").unwrap(), "/");
        assert_eq!(normalize_path("a/b").unwrap(), "/a/b");
        assert_eq!(normalize_path("/a/b/").unwrap(), "/a/b");
        assert!(normalize_path("/a//b").is_err());
        assert!(normalize_path("/a/../b").is_err());
        assert_eq!(join("/", "x"), "/x");
        assert_eq!(join("/g", "x"), "/g/x");
    }
}
