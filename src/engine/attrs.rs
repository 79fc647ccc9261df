//! Attributes of any type, read type-erased into `ValueGrid`s.

use std::os::raw::c_void;

use hdf5::Location;
use hdf5_sys::h5::{H5_index_t, H5_iter_order_t};
use hdf5_sys::h5a::{
    H5Aget_name, H5Aget_space, H5Aget_type, H5Aopen_by_idx, H5Aopen_by_name, H5Aread,
};
use hdf5_sys::h5o::{H5O_info2_t, H5Oget_info_by_name3, H5O_INFO_NUM_ATTRS};
use hdf5_sys::h5p::H5P_DEFAULT;
use hdf5_sys::h5s::{H5S_class_t, H5Sget_simple_extent_type};

use super::dtype::Dtype;
use super::error::Result;
use super::h5::{self, handle, locked};
use super::value::ValueGrid;
use super::watchdog::{self, Reading};

/// One attribute: its name, type and value (shape `[]` for a scalar).
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub name: String,
    pub value: ValueGrid,
}

impl Attr {
    /// A bare JSON value for scalars, nested lists for arrays.
    pub fn to_json(&self) -> serde_json::Value {
        self.value.to_json()
    }
}

/// Reads every attribute of an object, in HDF5's name order, leaving out `skip`.
pub fn read_attrs(loc: &Location, skip: &[&str]) -> Result<Vec<Attr>> {
    let mut out = Vec::new();
    for name in loc.attr_names()? {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let attr = loc.attr(&name)?;
        let value = read_attr_value(attr.id())?;
        out.push(Attr { name, value });
    }
    Ok(out)
}

/// Every attribute of the object `obj` below `loc`, in HDF5's name order,
/// leaving out `skip`, without opening the object (opening a virtual
/// dataset decodes all its mappings).
pub fn read_attrs_of(loc: &Location, obj: &str, skip: &[&str]) -> Result<Vec<Attr>> {
    let cobj =
        std::ffi::CString::new(obj).map_err(|_| super::error::Error::bad_input("path with NUL"))?;
    // Safety: plain C data; all zeros is a valid value.
    let mut info: H5O_info2_t = unsafe { std::mem::zeroed() };
    h5::call(|| unsafe {
        H5Oget_info_by_name3(
            loc.id(),
            cobj.as_ptr(),
            &mut info,
            H5O_INFO_NUM_ATTRS,
            H5P_DEFAULT,
        )
    })?;
    let mut out = Vec::new();
    for i in 0..info.num_attrs {
        let attr = h5::handle(|| unsafe {
            H5Aopen_by_idx(
                loc.id(),
                cobj.as_ptr(),
                H5_index_t::H5_INDEX_NAME,
                H5_iter_order_t::H5_ITER_INC,
                i,
                H5P_DEFAULT,
                H5P_DEFAULT,
            )
        })?;
        let name = attr_name(&attr)?;
        if !skip.contains(&name.as_str()) {
            let value = read_attr_value(attr.id())?;
            out.push(Attr { name, value });
        }
    }
    Ok(out)
}

fn attr_name(attr: &h5::Handle) -> Result<String> {
    let len = h5::locked(|| unsafe { H5Aget_name(attr.id(), 0, std::ptr::null_mut()) });
    let mut buf = vec![
        0u8;
        usize::try_from(len).map_err(|_| super::error::Error::bad_file(
            "unreadable attribute name"
        ))? + 1
    ];
    h5::locked(|| unsafe { H5Aget_name(attr.id(), buf.len(), buf.as_mut_ptr().cast()) });
    buf.truncate(len as usize);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Reads one attribute's value with its own file type as memory type.
pub fn read_attr_value(attr: hdf5_sys::h5i::hid_t) -> Result<ValueGrid> {
    let ftype = handle(|| unsafe { H5Aget_type(attr) })?;
    let space = handle(|| unsafe { H5Aget_space(attr) })?;
    let dtype = Dtype::from_type_id(ftype.id())?;
    let is_null =
        locked(|| unsafe { H5Sget_simple_extent_type(space.id()) }) == H5S_class_t::H5S_NULL;
    let shape = if is_null {
        vec![0]
    } else {
        h5::space_extent(space.id())?.0
    };
    let n: usize = shape.iter().product();
    let mut buf = vec![0u8; n * h5::type_size(ftype.id())];
    if n > 0 {
        let mut read =
            || h5::call(|| unsafe { H5Aread(attr, ftype.id(), buf.as_mut_ptr().cast()) });
        match dtype.has_vlen() {
            // Its strings come from global heaps, which HDF5 may loop on.
            true => watchdog::bounded(Reading::AttributeStrings, watchdog::budget_for(n), read)?,
            false => read()?,
        };
    }
    // Safety: HDF5 filled every vlen slot with a string it allocated.
    let mut grid = unsafe { ValueGrid::from_hdf5_buffer(dtype, shape, buf) };
    if grid.dtype.has_refs() {
        super::refs::resolve(&mut grid, attr);
    }
    Ok(grid)
}

/// A scalar string attribute of the object `obj` below `loc`, found by name
/// and read as variable-length UTF-8 (how h5py stores `str`), with no
/// existence check or type introspection: the version log reads three per
/// version. `None` when there is no such attribute; other stored types take
/// the general path.
pub fn string_attr_of(loc: &Location, obj: &str, name: &str) -> Result<Option<String>> {
    let Some(attr) = open_attr_of(loc, obj, name)? else {
        return Ok(None);
    };
    let mem = Dtype::VarString { utf8: true }.to_type_id()?;
    let mut ptr: *mut std::os::raw::c_char = std::ptr::null_mut();
    let read = watchdog::bounded(Reading::AttributeStrings, watchdog::BASE_BUDGET, || {
        h5::locked(|| unsafe { H5Aread(attr.id(), mem.id(), &mut ptr as *mut _ as *mut c_void) })
    });
    if read >= 0 {
        // Safety: HDF5 allocated the string (or left NULL for an empty one).
        return Ok(Some(unsafe { h5::take_c_string(ptr) }.unwrap_or_default()));
    }
    Ok(scalar_string(&read_attr_value(attr.id())?))
}

/// A truthy attribute of the object `obj` below `loc`, found by name.
pub fn bool_attr_of(loc: &Location, obj: &str, name: &str) -> Result<Option<bool>> {
    let Some(attr) = open_attr_of(loc, obj, name)? else {
        return Ok(None);
    };
    Ok(truthy(&read_attr_value(attr.id())?))
}

fn open_attr_of(loc: &Location, obj: &str, name: &str) -> Result<Option<h5::Handle>> {
    let (Ok(obj), Ok(name)) = (std::ffi::CString::new(obj), std::ffi::CString::new(name)) else {
        return Ok(None);
    };
    let id = h5::locked(|| unsafe {
        H5Aopen_by_name(
            loc.id(),
            obj.as_ptr(),
            name.as_ptr(),
            H5P_DEFAULT,
            H5P_DEFAULT,
        )
    });
    Ok((id >= 0).then(|| h5::Handle::from_raw(id)))
}

/// Whether an object has an attribute, without listing them all.
fn has_attr(loc: &Location, name: &str) -> Result<bool> {
    let c = std::ffi::CString::new(name)
        .map_err(|_| super::error::Error::bad_input("attribute name with NUL"))?;
    let found = h5::locked(|| unsafe { hdf5_sys::h5a::H5Aexists(loc.id(), c.as_ptr()) });
    Ok(found > 0)
}

/// A scalar string attribute (how versioned-hdf5 stores names and times).
pub fn string_attr(loc: &Location, name: &str) -> Result<Option<String>> {
    if !has_attr(loc, name)? {
        return Ok(None);
    }
    Ok(scalar_string(&read_attr_value(loc.attr(name)?.id())?))
}

fn scalar_string(grid: &ValueGrid) -> Option<String> {
    match grid.is_empty() {
        true => None,
        false => match grid.get(0) {
            super::value::Value::Str(s) => Some(s),
            super::value::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            _ => None,
        },
    }
}

/// A scalar or first-element integer attribute.
pub fn int_attr(loc: &Location, name: &str) -> Result<Option<i64>> {
    if !has_attr(loc, name)? {
        return Ok(None);
    }
    let grid = read_attr_value(loc.attr(name)?.id())?;
    Ok((!grid.is_empty()).then(|| int_of(&grid.get(0))).flatten())
}

/// All elements of an integer array attribute (e.g. `chunks`).
pub fn int_list_attr(loc: &Location, name: &str) -> Result<Option<Vec<i64>>> {
    if !has_attr(loc, name)? {
        return Ok(None);
    }
    let grid = read_attr_value(loc.attr(name)?.id())?;
    Ok((0..grid.len()).map(|i| int_of(&grid.get(i))).collect())
}

/// A truthy attribute (`committed` is h5py's bool enum).
pub fn bool_attr(loc: &Location, name: &str) -> Result<Option<bool>> {
    if !has_attr(loc, name)? {
        return Ok(None);
    }
    Ok(truthy(&read_attr_value(loc.attr(name)?.id())?))
}

fn truthy(grid: &ValueGrid) -> Option<bool> {
    (!grid.is_empty()).then(|| match grid.get(0) {
        super::value::Value::Bool(b) => b,
        v => int_of(&v).is_some_and(|i| i != 0),
    })
}

fn int_of(v: &super::value::Value) -> Option<i64> {
    use super::value::Value;
    match *v {
        Value::Int(i) => Some(i),
        Value::UInt(u) => i64::try_from(u).ok(),
        Value::Enum(i, _) => Some(i),
        Value::Bool(b) => Some(b as i64),
        _ => None,
    }
}

/// The paths (in the file) of the dimension scales attached to an object's
/// axes, from its `DIMENSION_LIST` attribute as HDF5's dimension-scale API
/// (and h5py's `dims`) writes it: one entry per axis, the first scale
/// attached, `None` where there is none; empty without the attribute.
pub fn dimension_scales(loc: &Location) -> Result<Vec<Option<String>>> {
    if !has_attr(loc, "DIMENSION_LIST")? {
        return Ok(Vec::new());
    }
    // A sequence of object references per axis, resolved by the read.
    let grid = read_attr_value(loc.attr("DIMENSION_LIST")?.id())?;
    Ok((0..grid.len())
        .map(|i| match grid.get(i) {
            super::value::Value::List(refs) => refs.into_iter().find_map(|r| match r {
                super::value::Value::Ref(Some(t)) => Some(t.path),
                _ => None,
            }),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::h5write::{write_attr, Target};
    use crate::engine::value::Value;
    use hdf5::types::VarLenArray;

    /// Variable-length sequences (h5py's `vlen_dtype`) read as lists, and
    /// write back as they were.
    #[test]
    fn variable_length_sequences_read_as_lists_and_write_back() {
        let dir = tempfile::tempdir().unwrap();
        let f = hdf5::File::create(dir.path().join("seq.h5")).unwrap();
        let seqs = [
            VarLenArray::from_slice(&[1i32, 2, 3]),
            VarLenArray::from_slice(&[]),
            VarLenArray::from_slice(&[7i32]),
        ];
        f.new_attr::<VarLenArray<i32>>()
            .shape(3)
            .create("seq")
            .unwrap()
            .write(&seqs)
            .unwrap();
        let grid = read_attr_value(f.attr("seq").unwrap().id()).unwrap();
        assert_eq!(grid.dtype.to_string(), "vlen<int32>");
        let list = |v: &[i64]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
        let expected = [list(&[1, 2, 3]), list(&[]), list(&[7])];
        assert_eq!((0..3).map(|i| grid.get(i)).collect::<Vec<_>>(), expected);
        assert_eq!(grid.to_json().to_string(), "[[1,2,3],[],[7]]");
        // Copied element by element (staging does), then written and read back.
        let copy = ValueGrid::filled(&grid, vec![3]);
        assert_eq!(copy.get(2), list(&[1, 2, 3]));
        write_attr(Target::this(f.id()), "again", &grid).unwrap();
        let back = read_attr_value(f.attr("again").unwrap().id()).unwrap();
        assert_eq!(back, grid);
    }
}
