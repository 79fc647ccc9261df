//! NumPy basic indexing for dataset targets such as `/grp/x[10:20, ::2]`.
//!
//! Two stages: parsing text into a [`SliceExpr`] (no shape needed), then
//! resolving it against a dataset shape into a [`Selection`] with exactly
//! the semantics of `numpy.ndarray.__getitem__` for integers, slices and a
//! single `...`. Error messages for resolution copy NumPy's wording so that
//! users familiar with NumPy recognise them.

use std::fmt;

/// One item of a NumPy basic index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexItem {
    Index(i64),
    Range {
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    },
    Ellipsis,
}

/// A parsed index expression: the text between the brackets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SliceExpr {
    pub items: Vec<IndexItem>,
}

impl SliceExpr {
    /// One cell (`[i, j]`): a 0-d selection.
    pub fn cell(index: &[usize]) -> SliceExpr {
        SliceExpr {
            items: index.iter().map(|&i| IndexItem::Index(i as i64)).collect(),
        }
    }

    /// The block of `count` cells from `start` (`[a:b, c:d]`).
    pub fn block(start: &[usize], count: &[usize]) -> SliceExpr {
        SliceExpr {
            items: start
                .iter()
                .zip(count)
                .map(|(&s, &c)| IndexItem::Range {
                    start: Some(s as i64),
                    stop: Some((s + c) as i64),
                    step: None,
                })
                .collect(),
        }
    }
}

/// A parse or resolve error; the message is a single line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceError(pub String);

impl fmt::Display for SliceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SliceError {}

fn err<T>(msg: impl Into<String>) -> Result<T, SliceError> {
    Err(SliceError(msg.into()))
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Split `PATH[SLICE]` into the path and the optional parsed slice.
///
/// Surrounding whitespace of the whole text and of the path is ignored
/// (so `/x [1]` works); a leading `/` is added to the path if missing.
pub fn parse_target(text: &str) -> Result<(String, Option<SliceExpr>), SliceError> {
    let text = text.trim();
    let (path, slice) = match text.find('[') {
        None if text.contains(']') => return err(format!("unbalanced brackets in '{text}'")),
        None => (text, None),
        Some(open) => (&text[..open], Some(bracket_body(text, open)?)),
    };
    let path = path.trim();
    if path.is_empty() {
        return err(format!("empty dataset path in '{text}'"));
    }
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let expr = slice.map(parse_slice).transpose()?;
    Ok((path, expr))
}

/// The text between the `[` at `open` and its matching `]`, which must end
/// the target. Nested brackets are rejected: basic indexing never needs them.
fn bracket_body(text: &str, open: usize) -> Result<&str, SliceError> {
    let rest = &text[open + 1..];
    let Some(close) = rest.find(']') else {
        return err(format!("unbalanced brackets in '{text}': missing ']'"));
    };
    let body = &rest[..close];
    if body.contains('[') || text[..open].contains(']') {
        return err(format!("unbalanced brackets in '{text}'"));
    }
    if body.trim().is_empty() {
        // Python itself rejects `x[]`; say how to select everything.
        return err(format!(
            "empty index in '{text}': use '[...]' or no brackets for everything"
        ));
    }
    let after = &rest[close + 1..];
    if !after.trim().is_empty() {
        return err(format!(
            "unexpected text after ']' in '{text}': '{}'",
            after.trim()
        ));
    }
    Ok(body)
}

/// Parse the inside of the brackets: comma-separated integers,
/// `start:stop[:step]` ranges (any part omitted) and at most one `...`.
/// Whitespace may surround every token; one trailing comma is allowed, as
/// in Python (`x[1,]`). A zero step parses fine; resolving rejects it, like
/// NumPy does.
pub fn parse_slice(text: &str) -> Result<SliceExpr, SliceError> {
    if text.trim().is_empty() {
        return Ok(SliceExpr::default());
    }
    let mut parts: Vec<&str> = text.split(',').collect();
    // Python accepts exactly one trailing comma after a non-empty tuple.
    if parts.len() > 1 && parts.last().is_some_and(|p| p.trim().is_empty()) {
        parts.pop();
    }
    let items = parts
        .iter()
        .map(|p| parse_item(p.trim(), text))
        .collect::<Result<Vec<_>, _>>()?;
    if items.iter().filter(|i| **i == IndexItem::Ellipsis).count() > 1 {
        return err("an index can only have a single ellipsis ('...')");
    }
    Ok(SliceExpr { items })
}

/// Parse one trimmed comma-separated item; `whole` is for error messages.
fn parse_item(item: &str, whole: &str) -> Result<IndexItem, SliceError> {
    if item.is_empty() {
        return err(format!("empty index item in '[{whole}]'"));
    }
    if item == "..." {
        return Ok(IndexItem::Ellipsis);
    }
    if !item.contains(':') {
        return parse_int(item, whole).map(IndexItem::Index);
    }
    let bounds: Vec<&str> = item.split(':').collect();
    if bounds.len() > 3 {
        return err(format!(
            "invalid slice '{item}' in '[{whole}]': at most two ':' allowed"
        ));
    }
    let bound = |k: usize| -> Result<Option<i64>, SliceError> {
        match bounds.get(k).map(|b| b.trim()) {
            None | Some("") => Ok(None),
            Some(b) => parse_int(b, whole).map(Some),
        }
    };
    Ok(IndexItem::Range {
        start: bound(0)?,
        stop: bound(1)?,
        step: bound(2)?,
    })
}

/// A decimal integer with an optional sign; like Python, whitespace may
/// separate the sign from the digits (`- 1`).
fn parse_int(tok: &str, whole: &str) -> Result<i64, SliceError> {
    let bad = || {
        SliceError(format!(
            "invalid index '{tok}' in '[{whole}]': expected an integer, a slice or '...'"
        ))
    };
    let (neg, digits) = match tok.as_bytes().first() {
        Some(b'-') => (true, tok[1..].trim_start()),
        Some(b'+') => (false, tok[1..].trim_start()),
        _ => (false, tok),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // Parse with the sign attached so that i64::MIN is representable.
    let signed = if neg {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    signed.parse::<i64>().map_err(|_| {
        SliceError(format!(
            "index '{tok}' in '[{whole}]' is out of the 64-bit integer range"
        ))
    })
}

impl fmt::Display for IndexItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |v: &Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        match self {
            IndexItem::Index(i) => write!(f, "{i}"),
            IndexItem::Ellipsis => f.write_str("..."),
            IndexItem::Range { start, stop, step } => {
                write!(f, "{}:{}", opt(start), opt(stop))?;
                match step {
                    Some(s) => write!(f, ":{s}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Canonical text, e.g. `1, ::2, -3:`; it parses back to the same value.
impl fmt::Display for SliceExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, item) in self.items.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------

/// The resolved selection along one axis of the dataset.
///
/// `start` is the first index visited (dataset coordinates; 0 when
/// `count == 0`), `step` is never 0 and may be negative, `count` is the
/// number of indices visited and `keep` is false when the axis was selected
/// by an integer (it is dropped from the result shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisSel {
    pub start: usize,
    pub step: i64,
    pub count: usize,
    pub keep: bool,
}

impl AxisSel {
    fn full(extent: usize) -> AxisSel {
        AxisSel {
            start: 0,
            step: 1,
            count: extent,
            keep: true,
        }
    }

    /// The dataset index of the `k`-th visited element.
    pub fn at(&self, k: usize) -> usize {
        (self.start as i128 + self.step as i128 * k as i128) as usize
    }
}

/// A resolved selection: one [`AxisSel`] per dataset axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub axes: Vec<AxisSel>,
}

impl Selection {
    /// Everything: start 0, step 1, count = extent, keep = true on every axis.
    pub fn all(shape: &[usize]) -> Selection {
        Selection {
            axes: shape.iter().map(|&n| AxisSel::full(n)).collect(),
        }
    }

    /// The block of `count` elements from `start` (step 1 on every axis).
    pub fn block(start: &[usize], count: &[usize]) -> Selection {
        Selection {
            axes: start
                .iter()
                .zip(count)
                .map(|(&s, &c)| AxisSel {
                    start: s,
                    step: 1,
                    count: c,
                    keep: true,
                })
                .collect(),
        }
    }

    /// Resolve against a dataset shape with NumPy semantics. `None` = all.
    ///
    /// Errors are checked in NumPy's order: too many indices first, then
    /// each axis from left to right.
    pub fn resolve(expr: Option<&SliceExpr>, shape: &[usize]) -> Result<Selection, SliceError> {
        let Some(expr) = expr else {
            return Ok(Selection::all(shape));
        };
        let items = expand_ellipsis(&expr.items, shape.len())?;
        let axes = items
            .iter()
            .zip(shape)
            .enumerate()
            .map(|(axis, (item, &n))| resolve_item(item, axis, n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Selection { axes })
    }

    /// Shape of the result: counts of kept axes.
    pub fn out_shape(&self) -> Vec<usize> {
        self.axes
            .iter()
            .filter(|a| a.keep)
            .map(|a| a.count)
            .collect()
    }

    /// Number of selected elements (product of counts over all axes).
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.count).product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same cells visited in ascending order on every axis, plus per-axis
    /// flags saying which axes must be reversed afterwards (see
    /// [`reverse_axes`]). Axes with fewer than two elements are never
    /// flagged since reversing them is a no-op; their step is made positive.
    pub fn ascending(&self) -> (Selection, Vec<bool>) {
        let (axes, flips) = self.axes.iter().map(ascending_axis).unzip();
        (Selection { axes }, flips)
    }

    /// Whether the cell at dataset index `at` is selected.
    pub fn contains(&self, at: &[usize]) -> bool {
        self.axes.len() == at.len()
            && self.axes.iter().zip(at).all(|(a, &i)| {
                let offset = i as i128 - a.start as i128;
                let step = a.step as i128;
                offset % step == 0 && (0..a.count as i128).contains(&(offset / step))
            })
    }

    /// The dataset indices visited along `axis`, in order.
    pub fn indices(&self, axis: usize) -> Vec<usize> {
        let a = &self.axes[axis];
        (0..a.count).map(|k| a.at(k)).collect()
    }
}

fn ascending_axis(a: &AxisSel) -> (AxisSel, bool) {
    if a.step > 0 {
        return (a.clone(), false);
    }
    let start = if a.count == 0 {
        a.start
    } else {
        a.at(a.count - 1)
    };
    // With at most one element the step is irrelevant; using 1 also avoids
    // negating i64::MIN (`x[::-9223372036854775808]` is valid Python).
    let step = if a.count > 1 { -a.step } else { 1 };
    let sel = AxisSel {
        start,
        step,
        ..a.clone()
    };
    (sel, a.count > 1)
}

/// Replace `...` (or the missing trailing axes) by full ranges so that there
/// is exactly one item per dataset axis.
fn expand_ellipsis(items: &[IndexItem], ndim: usize) -> Result<Vec<IndexItem>, SliceError> {
    let explicit = items.iter().filter(|i| **i != IndexItem::Ellipsis).count();
    if explicit > ndim {
        return err(format!(
            "too many indices for array: array is {ndim}-dimensional, but {explicit} were indexed"
        ));
    }
    let full = IndexItem::Range {
        start: None,
        stop: None,
        step: None,
    };
    let fill = std::iter::repeat_n(full, ndim - explicit);
    let out: Vec<IndexItem> = match items.iter().position(|i| *i == IndexItem::Ellipsis) {
        Some(e) => items[..e]
            .iter()
            .cloned()
            .chain(fill)
            .chain(items[e + 1..].iter().cloned())
            .collect(),
        None => items.iter().cloned().chain(fill).collect(),
    };
    Ok(out)
}

fn resolve_item(item: &IndexItem, axis: usize, n: usize) -> Result<AxisSel, SliceError> {
    match *item {
        IndexItem::Index(i) => resolve_index(i, axis, n),
        IndexItem::Range { start, stop, step } => resolve_range(start, stop, step, n),
        IndexItem::Ellipsis => unreachable!("ellipsis is expanded before resolving"),
    }
}

fn resolve_index(i: i64, axis: usize, n: usize) -> Result<AxisSel, SliceError> {
    // i128 so that neither i64::MIN nor huge extents can overflow.
    let (i, n128) = (i as i128, n as i128);
    let pos = if i < 0 { i + n128 } else { i };
    if !(0..n128).contains(&pos) {
        return err(format!(
            "index {i} is out of bounds for axis {axis} with size {n}"
        ));
    }
    Ok(AxisSel {
        start: pos as usize,
        step: 1,
        count: 1,
        keep: false,
    })
}

/// Python's `slice(start, stop, step).indices(n)` followed by `len(range(..))`.
fn resolve_range(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    n: usize,
) -> Result<AxisSel, SliceError> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return err("slice step cannot be zero");
    }
    let n = n as i128;
    // Valid positions for a bound; a negative step may stop "before" 0.
    let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let clamp = |b: i128| if b < 0 { (b + n).max(lo) } else { b.min(hi) };
    let first = start.map_or(if step > 0 { lo } else { hi }, |b| clamp(b as i128));
    let last = stop.map_or(if step > 0 { hi } else { lo }, |b| clamp(b as i128));
    let (span, stride) = if step > 0 {
        (last - first, step as i128)
    } else {
        (first - last, -(step as i128))
    };
    let count = if span > 0 { (span - 1) / stride + 1 } else { 0 };
    // An empty selection has no meaningful start; 0 keeps it a valid usize.
    let first = if count == 0 { 0 } else { first };
    Ok(AxisSel {
        start: first as usize,
        step,
        count: count as usize,
        keep: true,
    })
}

// ---------------------------------------------------------------------------
// Reordering read data
// ---------------------------------------------------------------------------

/// Reverse the flagged axes of a C-order array of `elem_size`-byte elements.
///
/// `shape` has one entry per axis (including integer-selected axes with
/// count 1) and `flip` one flag per axis, as returned by
/// [`Selection::ascending`]. Panics if `data` does not hold exactly
/// `product(shape) * elem_size` bytes.
pub fn reverse_axes(data: &[u8], shape: &[usize], elem_size: usize, flip: &[bool]) -> Vec<u8> {
    assert_eq!(
        shape.len(),
        flip.len(),
        "reverse_axes: one flip flag per axis"
    );
    let total: usize = shape.iter().product::<usize>() * elem_size;
    assert_eq!(
        data.len(),
        total,
        "reverse_axes: data size does not match shape"
    );
    // Axes after the last flipped one stay in order: copy them as one block.
    let Some(last_flip) = flip.iter().rposition(|&f| f) else {
        return data.to_vec();
    };
    let block: usize = shape[last_flip + 1..].iter().product::<usize>() * elem_size;
    let mut out = Vec::with_capacity(total);
    copy_axis(
        data,
        &shape[..=last_flip],
        &flip[..=last_flip],
        block,
        &mut out,
    );
    out
}

/// Append `data` (outer axes `shape`, each innermost unit `block` bytes) to
/// `out`, walking flagged axes backwards.
fn copy_axis(data: &[u8], shape: &[usize], flip: &[bool], block: usize, out: &mut Vec<u8>) {
    let Some((&n, inner_shape)) = shape.split_first() else {
        out.extend_from_slice(data);
        return;
    };
    let stride = inner_shape.iter().product::<usize>() * block;
    for k in 0..n {
        let src = if flip[0] { n - 1 - k } else { k };
        copy_axis(
            &data[src * stride..(src + 1) * stride],
            inner_shape,
            &flip[1..],
            block,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expect = Result<(&'static [usize], &'static [usize]), &'static str>;

    /// Ground truth from NumPy 2.4: `np.arange(prod(shape)).reshape(shape)[TEXT]`
    /// -> (result shape, flattened values), or the exception message.
    #[rustfmt::skip]
    const NUMPY_CASES: &[(&[usize], &str, Expect)] = &[
    (&[10], "2:7", Ok((&[5], &[2, 3, 4, 5, 6]))),
    (&[10], "::-1", Ok((&[10], &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]))),
    (&[10], "5:1:-2", Ok((&[2], &[5, 3]))),
    (&[10], "-1:-11:-1", Ok((&[10], &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]))),
    (&[5], "10:0:-3", Ok((&[2], &[4, 1]))),
    (&[10], "-3:", Ok((&[3], &[7, 8, 9]))),
    (&[10], ":-3", Ok((&[7], &[0, 1, 2, 3, 4, 5, 6]))),
    (&[10], "3:3", Ok((&[0], &[]))),
    (&[10], "7:3", Ok((&[0], &[]))),
    (&[10], "-100:100", Ok((&[10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))),
    (&[10], "100:-100:-1", Ok((&[10], &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]))),
    (&[10], "::3", Ok((&[4], &[0, 3, 6, 9]))),
    (&[10], "1::-4", Ok((&[1], &[1]))),
    (&[10], "-1", Ok((&[], &[9]))),
    (&[10], "0", Ok((&[], &[0]))),
    (&[10], "9", Ok((&[], &[9]))),
    (&[10], "-10", Ok((&[], &[0]))),
    (&[10], "10", Err("index 10 is out of bounds for axis 0 with size 10")),
    (&[10], "-11", Err("index -11 is out of bounds for axis 0 with size 10")),
    (&[10], "::0", Err("slice step cannot be zero")),
    (&[10], "1, 2", Err("too many indices for array: array is 1-dimensional, but 2 were indexed")),
    (&[10], "...", Ok((&[10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))),
    (&[10], "..., 3", Ok((&[], &[3]))),
    (&[10], "3, ...", Ok((&[], &[3]))),
    (&[10], "1,", Ok((&[], &[1]))),
    (&[10], " 1 : 8 : 3 ", Ok((&[3], &[1, 4, 7]))),
    (&[10], ":", Ok((&[10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))),
    (&[10], "::", Ok((&[10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))),
    (&[10], "- 2", Ok((&[], &[8]))),
    (&[10], "+2", Ok((&[], &[2]))),
    (&[10], "9223372036854775807", Err("index 9223372036854775807 is out of bounds for axis 0 with size 10")),
    (&[10], "-9223372036854775808", Err("index -9223372036854775808 is out of bounds for axis 0 with size 10")),
    (&[10], "-9223372036854775808:9223372036854775807", Ok((&[10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))),
    (&[10], "9223372036854775807:-9223372036854775808:-1", Ok((&[10], &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]))),
    (&[10], "::9223372036854775807", Ok((&[1], &[0]))),
    (&[10], "::-9223372036854775808", Ok((&[1], &[9]))),
    (&[0], ":", Ok((&[0], &[]))),
    (&[0], "::-1", Ok((&[0], &[]))),
    (&[0], "5:1:-2", Ok((&[0], &[]))),
    (&[0], "0", Err("index 0 is out of bounds for axis 0 with size 0")),
    (&[0], "-1", Err("index -1 is out of bounds for axis 0 with size 0")),
    (&[0], "...", Ok((&[0], &[]))),
    (&[1], "::-1", Ok((&[1], &[0]))),
    (&[1], "0", Ok((&[], &[0]))),
    (&[1], "-1", Ok((&[], &[0]))),
    (&[1], "1", Err("index 1 is out of bounds for axis 0 with size 1")),
    (&[3, 4], "1", Ok((&[4], &[4, 5, 6, 7]))),
    (&[3, 4], "1,", Ok((&[4], &[4, 5, 6, 7]))),
    (&[3, 4], ":, 1", Ok((&[3], &[1, 5, 9]))),
    (&[3, 4], "::-1, ::-2", Ok((&[3, 2], &[11, 9, 7, 5, 3, 1]))),
    (&[3, 4], "-1, -1", Ok((&[], &[11]))),
    (&[3, 4], "..., 2", Ok((&[3], &[2, 6, 10]))),
    (&[3, 4], "2, ...", Ok((&[4], &[8, 9, 10, 11]))),
    (&[3, 4], "1, ..., 2", Ok((&[], &[6]))),
    (&[3, 4], "..., 1, 2", Ok((&[], &[6]))),
    (&[3, 4], "1, 2, 3", Err("too many indices for array: array is 2-dimensional, but 3 were indexed")),
    (&[3, 4], "..., 1, 2, 3", Err("too many indices for array: array is 2-dimensional, but 3 were indexed")),
    (&[3, 4], "1, 4", Err("index 4 is out of bounds for axis 1 with size 4")),
    (&[3, 4], "3, 0", Err("index 3 is out of bounds for axis 0 with size 3")),
    (&[3, 4], "::0, 10", Err("slice step cannot be zero")),
    (&[3, 4], "10, ::0", Err("index 10 is out of bounds for axis 0 with size 3")),
    (&[3, 4], "1:1, 1:3", Ok((&[0, 2], &[]))),
    (&[3, 4], "2:0:-1, 3:0:-2", Ok((&[2, 2], &[11, 9, 7, 5]))),
    (&[2, 3, 4], "1", Ok((&[3, 4], &[12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))),
    (&[2, 3, 4], ":, 1", Ok((&[2, 4], &[4, 5, 6, 7, 16, 17, 18, 19]))),
    (&[2, 3, 4], ":, -1, :", Ok((&[2, 4], &[8, 9, 10, 11, 20, 21, 22, 23]))),
    (&[2, 3, 4], ":, 1, ::-1", Ok((&[2, 4], &[7, 6, 5, 4, 19, 18, 17, 16]))),
    (&[2, 3, 4], "..., ::-1", Ok((&[2, 3, 4], &[3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 19, 18, 17, 16, 23, 22, 21, 20]))),
    (&[2, 3, 4], "::-1, ...", Ok((&[2, 3, 4], &[12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))),
    (&[2, 3, 4], "1, ..., ::-2", Ok((&[3, 2], &[15, 13, 19, 17, 23, 21]))),
    (&[2, 3, 4], "...,1,...", Err("an index can only have a single ellipsis ('...')")),
    (&[2, 3, 4], "0, ..., 0, 0", Ok((&[], &[0]))),
    (&[2, 3, 4], "..., 0, 0, 0", Ok((&[], &[0]))),
    (&[2, 3, 4], "0, 0, 0, ...", Ok((&[], &[0]))),
    (&[2, 3, 4], "::-1, ::-1, ::-1", Ok((&[2, 3, 4], &[23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]))),
    (&[2, 3, 4], "1, :, 5", Err("index 5 is out of bounds for axis 2 with size 4")),
    (&[2, 3, 4], "1, 1:, ::-3", Ok((&[2, 2], &[19, 16, 23, 20]))),
    (&[2, 0, 3], ":", Ok((&[2, 0, 3], &[]))),
    (&[2, 0, 3], "1, ..., ::-1", Ok((&[0, 3], &[]))),
    (&[2, 0, 3], ":, 0", Err("index 0 is out of bounds for axis 1 with size 0")),
    (&[2, 0, 3], "..., 2", Ok((&[2, 0], &[]))),
    (&[2, 0, 3], "1, :, 3", Err("index 3 is out of bounds for axis 2 with size 3")),
    (&[], "", Ok((&[], &[0]))),
    (&[], "...", Ok((&[], &[0]))),
    (&[], "0", Err("too many indices for array: array is 0-dimensional, but 1 were indexed")),
    (&[], ":", Err("too many indices for array: array is 0-dimensional, but 1 were indexed")),
    (&[2, 2, 2, 2], "1, ..., 1", Ok((&[2, 2], &[9, 11, 13, 15]))),
    (&[2, 2, 2, 2], "..., -1, ::-1", Ok((&[2, 2, 2], &[3, 2, 7, 6, 11, 10, 15, 14]))),
    (&[2, 2, 2, 2], "::-1, 0, ..., 1:", Ok((&[2, 2, 1], &[9, 11, 1, 3]))),
    (&[5, 6], "1:4, -1:-5:-2", Ok((&[3, 2], &[11, 9, 17, 15, 23, 21]))),
    (&[5, 6], "-2::-2, 5::-5", Ok((&[2, 2], &[23, 18, 11, 6]))),
    (&[5, 6], "::-2", Ok((&[3, 6], &[24, 25, 26, 27, 28, 29, 12, 13, 14, 15, 16, 17, 0, 1, 2, 3, 4, 5]))),
    ];

    /// Ground truth from NumPy for 1-D slices: `np.arange(n)[start:stop:step]`
    /// over a grid of bounds (omitted, out of range both sides, negative) and
    /// steps. Format: `n slice = values`, entries separated by ';' or newlines.
    const NUMPY_GRID_1D: &str = "
        1 : = 0; 1 :-7 =; 1 :-5 =; 1 :-2 =
        1 :0 =; 1 :2 = 0; 1 :5 = 0; 1 :7 = 0
        1 -7: = 0; 1 -7:-7 =; 1 -7:-5 =; 1 -7:-2 =
        1 -7:0 =; 1 -7:2 = 0; 1 -7:5 = 0; 1 -7:7 = 0
        1 -5: = 0; 1 -5:-7 =; 1 -5:-5 =; 1 -5:-2 =
        1 -5:0 =; 1 -5:2 = 0; 1 -5:5 = 0; 1 -5:7 = 0
        1 -2: = 0; 1 -2:-7 =; 1 -2:-5 =; 1 -2:-2 =
        1 -2:0 =; 1 -2:2 = 0; 1 -2:5 = 0; 1 -2:7 = 0
        1 0: = 0; 1 0:-7 =; 1 0:-5 =; 1 0:-2 =
        1 0:0 =; 1 0:2 = 0; 1 0:5 = 0; 1 0:7 = 0
        1 2: =; 1 2:-7 =; 1 2:-5 =; 1 2:-2 =
        1 2:0 =; 1 2:2 =; 1 2:5 =; 1 2:7 =
        1 5: =; 1 5:-7 =; 1 5:-5 =; 1 5:-2 =
        1 5:0 =; 1 5:2 =; 1 5:5 =; 1 5:7 =
        1 7: =; 1 7:-7 =; 1 7:-5 =; 1 7:-2 =
        1 7:0 =; 1 7:2 =; 1 7:5 =; 1 7:7 =
        1 ::2 = 0; 1 :-7:2 =; 1 :-5:2 =; 1 :-2:2 =
        1 :0:2 =; 1 :2:2 = 0; 1 :5:2 = 0; 1 :7:2 = 0
        1 -7::2 = 0; 1 -7:-7:2 =; 1 -7:-5:2 =; 1 -7:-2:2 =
        1 -7:0:2 =; 1 -7:2:2 = 0; 1 -7:5:2 = 0; 1 -7:7:2 = 0
        1 -5::2 = 0; 1 -5:-7:2 =; 1 -5:-5:2 =; 1 -5:-2:2 =
        1 -5:0:2 =; 1 -5:2:2 = 0; 1 -5:5:2 = 0; 1 -5:7:2 = 0
        1 -2::2 = 0; 1 -2:-7:2 =; 1 -2:-5:2 =; 1 -2:-2:2 =
        1 -2:0:2 =; 1 -2:2:2 = 0; 1 -2:5:2 = 0; 1 -2:7:2 = 0
        1 0::2 = 0; 1 0:-7:2 =; 1 0:-5:2 =; 1 0:-2:2 =
        1 0:0:2 =; 1 0:2:2 = 0; 1 0:5:2 = 0; 1 0:7:2 = 0
        1 2::2 =; 1 2:-7:2 =; 1 2:-5:2 =; 1 2:-2:2 =
        1 2:0:2 =; 1 2:2:2 =; 1 2:5:2 =; 1 2:7:2 =
        1 5::2 =; 1 5:-7:2 =; 1 5:-5:2 =; 1 5:-2:2 =
        1 5:0:2 =; 1 5:2:2 =; 1 5:5:2 =; 1 5:7:2 =
        1 7::2 =; 1 7:-7:2 =; 1 7:-5:2 =; 1 7:-2:2 =
        1 7:0:2 =; 1 7:2:2 =; 1 7:5:2 =; 1 7:7:2 =
        1 ::-1 = 0; 1 :-7:-1 = 0; 1 :-5:-1 = 0; 1 :-2:-1 = 0
        1 :0:-1 =; 1 :2:-1 =; 1 :5:-1 =; 1 :7:-1 =
        1 -7::-1 =; 1 -7:-7:-1 =; 1 -7:-5:-1 =; 1 -7:-2:-1 =
        1 -7:0:-1 =; 1 -7:2:-1 =; 1 -7:5:-1 =; 1 -7:7:-1 =
        1 -5::-1 =; 1 -5:-7:-1 =; 1 -5:-5:-1 =; 1 -5:-2:-1 =
        1 -5:0:-1 =; 1 -5:2:-1 =; 1 -5:5:-1 =; 1 -5:7:-1 =
        1 -2::-1 =; 1 -2:-7:-1 =; 1 -2:-5:-1 =; 1 -2:-2:-1 =
        1 -2:0:-1 =; 1 -2:2:-1 =; 1 -2:5:-1 =; 1 -2:7:-1 =
        1 0::-1 = 0; 1 0:-7:-1 = 0; 1 0:-5:-1 = 0; 1 0:-2:-1 = 0
        1 0:0:-1 =; 1 0:2:-1 =; 1 0:5:-1 =; 1 0:7:-1 =
        1 2::-1 = 0; 1 2:-7:-1 = 0; 1 2:-5:-1 = 0; 1 2:-2:-1 = 0
        1 2:0:-1 =; 1 2:2:-1 =; 1 2:5:-1 =; 1 2:7:-1 =
        1 5::-1 = 0; 1 5:-7:-1 = 0; 1 5:-5:-1 = 0; 1 5:-2:-1 = 0
        1 5:0:-1 =; 1 5:2:-1 =; 1 5:5:-1 =; 1 5:7:-1 =
        1 7::-1 = 0; 1 7:-7:-1 = 0; 1 7:-5:-1 = 0; 1 7:-2:-1 = 0
        1 7:0:-1 =; 1 7:2:-1 =; 1 7:5:-1 =; 1 7:7:-1 =
        1 ::-3 = 0; 1 :-7:-3 = 0; 1 :-5:-3 = 0; 1 :-2:-3 = 0
        1 :0:-3 =; 1 :2:-3 =; 1 :5:-3 =; 1 :7:-3 =
        1 -7::-3 =; 1 -7:-7:-3 =; 1 -7:-5:-3 =; 1 -7:-2:-3 =
        1 -7:0:-3 =; 1 -7:2:-3 =; 1 -7:5:-3 =; 1 -7:7:-3 =
        1 -5::-3 =; 1 -5:-7:-3 =; 1 -5:-5:-3 =; 1 -5:-2:-3 =
        1 -5:0:-3 =; 1 -5:2:-3 =; 1 -5:5:-3 =; 1 -5:7:-3 =
        1 -2::-3 =; 1 -2:-7:-3 =; 1 -2:-5:-3 =; 1 -2:-2:-3 =
        1 -2:0:-3 =; 1 -2:2:-3 =; 1 -2:5:-3 =; 1 -2:7:-3 =
        1 0::-3 = 0; 1 0:-7:-3 = 0; 1 0:-5:-3 = 0; 1 0:-2:-3 = 0
        1 0:0:-3 =; 1 0:2:-3 =; 1 0:5:-3 =; 1 0:7:-3 =
        1 2::-3 = 0; 1 2:-7:-3 = 0; 1 2:-5:-3 = 0; 1 2:-2:-3 = 0
        1 2:0:-3 =; 1 2:2:-3 =; 1 2:5:-3 =; 1 2:7:-3 =
        1 5::-3 = 0; 1 5:-7:-3 = 0; 1 5:-5:-3 = 0; 1 5:-2:-3 = 0
        1 5:0:-3 =; 1 5:2:-3 =; 1 5:5:-3 =; 1 5:7:-3 =
        1 7::-3 = 0; 1 7:-7:-3 = 0; 1 7:-5:-3 = 0; 1 7:-2:-3 = 0
        1 7:0:-3 =; 1 7:2:-3 =; 1 7:5:-3 =; 1 7:7:-3 =
        5 : = 0 1 2 3 4; 5 :-7 =; 5 :-5 =; 5 :-2 = 0 1 2
        5 :0 =; 5 :2 = 0 1; 5 :5 = 0 1 2 3 4; 5 :7 = 0 1 2 3 4
        5 -7: = 0 1 2 3 4; 5 -7:-7 =; 5 -7:-5 =; 5 -7:-2 = 0 1 2
        5 -7:0 =; 5 -7:2 = 0 1; 5 -7:5 = 0 1 2 3 4; 5 -7:7 = 0 1 2 3 4
        5 -5: = 0 1 2 3 4; 5 -5:-7 =; 5 -5:-5 =; 5 -5:-2 = 0 1 2
        5 -5:0 =; 5 -5:2 = 0 1; 5 -5:5 = 0 1 2 3 4; 5 -5:7 = 0 1 2 3 4
        5 -2: = 3 4; 5 -2:-7 =; 5 -2:-5 =; 5 -2:-2 =
        5 -2:0 =; 5 -2:2 =; 5 -2:5 = 3 4; 5 -2:7 = 3 4
        5 0: = 0 1 2 3 4; 5 0:-7 =; 5 0:-5 =; 5 0:-2 = 0 1 2
        5 0:0 =; 5 0:2 = 0 1; 5 0:5 = 0 1 2 3 4; 5 0:7 = 0 1 2 3 4
        5 2: = 2 3 4; 5 2:-7 =; 5 2:-5 =; 5 2:-2 = 2
        5 2:0 =; 5 2:2 =; 5 2:5 = 2 3 4; 5 2:7 = 2 3 4
        5 5: =; 5 5:-7 =; 5 5:-5 =; 5 5:-2 =
        5 5:0 =; 5 5:2 =; 5 5:5 =; 5 5:7 =
        5 7: =; 5 7:-7 =; 5 7:-5 =; 5 7:-2 =
        5 7:0 =; 5 7:2 =; 5 7:5 =; 5 7:7 =
        5 ::2 = 0 2 4; 5 :-7:2 =; 5 :-5:2 =; 5 :-2:2 = 0 2
        5 :0:2 =; 5 :2:2 = 0; 5 :5:2 = 0 2 4; 5 :7:2 = 0 2 4
        5 -7::2 = 0 2 4; 5 -7:-7:2 =; 5 -7:-5:2 =; 5 -7:-2:2 = 0 2
        5 -7:0:2 =; 5 -7:2:2 = 0; 5 -7:5:2 = 0 2 4; 5 -7:7:2 = 0 2 4
        5 -5::2 = 0 2 4; 5 -5:-7:2 =; 5 -5:-5:2 =; 5 -5:-2:2 = 0 2
        5 -5:0:2 =; 5 -5:2:2 = 0; 5 -5:5:2 = 0 2 4; 5 -5:7:2 = 0 2 4
        5 -2::2 = 3; 5 -2:-7:2 =; 5 -2:-5:2 =; 5 -2:-2:2 =
        5 -2:0:2 =; 5 -2:2:2 =; 5 -2:5:2 = 3; 5 -2:7:2 = 3
        5 0::2 = 0 2 4; 5 0:-7:2 =; 5 0:-5:2 =; 5 0:-2:2 = 0 2
        5 0:0:2 =; 5 0:2:2 = 0; 5 0:5:2 = 0 2 4; 5 0:7:2 = 0 2 4
        5 2::2 = 2 4; 5 2:-7:2 =; 5 2:-5:2 =; 5 2:-2:2 = 2
        5 2:0:2 =; 5 2:2:2 =; 5 2:5:2 = 2 4; 5 2:7:2 = 2 4
        5 5::2 =; 5 5:-7:2 =; 5 5:-5:2 =; 5 5:-2:2 =
        5 5:0:2 =; 5 5:2:2 =; 5 5:5:2 =; 5 5:7:2 =
        5 7::2 =; 5 7:-7:2 =; 5 7:-5:2 =; 5 7:-2:2 =
        5 7:0:2 =; 5 7:2:2 =; 5 7:5:2 =; 5 7:7:2 =
        5 ::-1 = 4 3 2 1 0; 5 :-7:-1 = 4 3 2 1 0; 5 :-5:-1 = 4 3 2 1; 5 :-2:-1 = 4
        5 :0:-1 = 4 3 2 1; 5 :2:-1 = 4 3; 5 :5:-1 =; 5 :7:-1 =
        5 -7::-1 =; 5 -7:-7:-1 =; 5 -7:-5:-1 =; 5 -7:-2:-1 =
        5 -7:0:-1 =; 5 -7:2:-1 =; 5 -7:5:-1 =; 5 -7:7:-1 =
        5 -5::-1 = 0; 5 -5:-7:-1 = 0; 5 -5:-5:-1 =; 5 -5:-2:-1 =
        5 -5:0:-1 =; 5 -5:2:-1 =; 5 -5:5:-1 =; 5 -5:7:-1 =
        5 -2::-1 = 3 2 1 0; 5 -2:-7:-1 = 3 2 1 0; 5 -2:-5:-1 = 3 2 1; 5 -2:-2:-1 =
        5 -2:0:-1 = 3 2 1; 5 -2:2:-1 = 3; 5 -2:5:-1 =; 5 -2:7:-1 =
        5 0::-1 = 0; 5 0:-7:-1 = 0; 5 0:-5:-1 =; 5 0:-2:-1 =
        5 0:0:-1 =; 5 0:2:-1 =; 5 0:5:-1 =; 5 0:7:-1 =
        5 2::-1 = 2 1 0; 5 2:-7:-1 = 2 1 0; 5 2:-5:-1 = 2 1; 5 2:-2:-1 =
        5 2:0:-1 = 2 1; 5 2:2:-1 =; 5 2:5:-1 =; 5 2:7:-1 =
        5 5::-1 = 4 3 2 1 0; 5 5:-7:-1 = 4 3 2 1 0; 5 5:-5:-1 = 4 3 2 1; 5 5:-2:-1 = 4
        5 5:0:-1 = 4 3 2 1; 5 5:2:-1 = 4 3; 5 5:5:-1 =; 5 5:7:-1 =
        5 7::-1 = 4 3 2 1 0; 5 7:-7:-1 = 4 3 2 1 0; 5 7:-5:-1 = 4 3 2 1; 5 7:-2:-1 = 4
        5 7:0:-1 = 4 3 2 1; 5 7:2:-1 = 4 3; 5 7:5:-1 =; 5 7:7:-1 =
        5 ::-3 = 4 1; 5 :-7:-3 = 4 1; 5 :-5:-3 = 4 1; 5 :-2:-3 = 4
        5 :0:-3 = 4 1; 5 :2:-3 = 4; 5 :5:-3 =; 5 :7:-3 =
        5 -7::-3 =; 5 -7:-7:-3 =; 5 -7:-5:-3 =; 5 -7:-2:-3 =
        5 -7:0:-3 =; 5 -7:2:-3 =; 5 -7:5:-3 =; 5 -7:7:-3 =
        5 -5::-3 = 0; 5 -5:-7:-3 = 0; 5 -5:-5:-3 =; 5 -5:-2:-3 =
        5 -5:0:-3 =; 5 -5:2:-3 =; 5 -5:5:-3 =; 5 -5:7:-3 =
        5 -2::-3 = 3 0; 5 -2:-7:-3 = 3 0; 5 -2:-5:-3 = 3; 5 -2:-2:-3 =
        5 -2:0:-3 = 3; 5 -2:2:-3 = 3; 5 -2:5:-3 =; 5 -2:7:-3 =
        5 0::-3 = 0; 5 0:-7:-3 = 0; 5 0:-5:-3 =; 5 0:-2:-3 =
        5 0:0:-3 =; 5 0:2:-3 =; 5 0:5:-3 =; 5 0:7:-3 =
        5 2::-3 = 2; 5 2:-7:-3 = 2; 5 2:-5:-3 = 2; 5 2:-2:-3 =
        5 2:0:-3 = 2; 5 2:2:-3 =; 5 2:5:-3 =; 5 2:7:-3 =
        5 5::-3 = 4 1; 5 5:-7:-3 = 4 1; 5 5:-5:-3 = 4 1; 5 5:-2:-3 = 4
        5 5:0:-3 = 4 1; 5 5:2:-3 = 4; 5 5:5:-3 =; 5 5:7:-3 =
        5 7::-3 = 4 1; 5 7:-7:-3 = 4 1; 5 7:-5:-3 = 4 1; 5 7:-2:-3 = 4
        5 7:0:-3 = 4 1; 5 7:2:-3 = 4; 5 7:5:-3 =; 5 7:7:-3 =
    ";

    /// Flat C-order offsets of the cells a selection visits, in visiting order.
    fn visited(sel: &Selection, shape: &[usize]) -> Vec<usize> {
        let mut flat = vec![0usize];
        for (axis, &n) in shape.iter().enumerate() {
            let idx = sel.indices(axis);
            flat = flat
                .iter()
                .flat_map(|&f| idx.iter().map(move |&i| f * n + i))
                .collect();
        }
        if sel.is_empty() {
            Vec::new()
        } else {
            flat
        }
    }

    /// What the reader does: gather the ascending selection, then reverse the
    /// flagged axes. Elements are the flat offsets as 4-byte integers.
    fn read_via_ascending(sel: &Selection, shape: &[usize]) -> Vec<usize> {
        let (asc, flip) = sel.ascending();
        assert!(asc.axes.iter().all(|a| a.step > 0));
        let bytes: Vec<u8> = visited(&asc, shape)
            .iter()
            .flat_map(|&v| (v as u32).to_le_bytes())
            .collect();
        let counts: Vec<usize> = asc.axes.iter().map(|a| a.count).collect();
        let out = reverse_axes(&bytes, &counts, 4, &flip);
        out.chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()) as usize)
            .collect()
    }

    fn check(shape: &[usize], text: &str, expect: &Expect) {
        let expr = parse_slice(text).map_err(|e| e.0);
        let got = expr.and_then(|e| Selection::resolve(Some(&e), shape).map_err(|e| e.0));
        match (got, expect) {
            (Ok(sel), Ok((out_shape, values))) => {
                assert_eq!(sel.out_shape(), *out_shape, "shape of {shape:?}[{text}]");
                assert_eq!(visited(&sel, shape), *values, "values of {shape:?}[{text}]");
                assert_eq!(sel.len(), values.len(), "len of {shape:?}[{text}]");
                assert_eq!(
                    read_via_ascending(&sel, shape),
                    *values,
                    "ascending+reverse of {shape:?}[{text}]"
                );
                for (axis, a) in sel.axes.iter().enumerate() {
                    assert!(a.step != 0, "{shape:?}[{text}]");
                    assert!(
                        sel.indices(axis).iter().all(|&i| i < shape[axis]),
                        "{shape:?}[{text}]"
                    );
                }
            }
            (Err(msg), Err(want)) => assert_eq!(msg, *want, "error of {shape:?}[{text}]"),
            (got, _) => panic!("{shape:?}[{text}]: got {got:?}, want {expect:?}"),
        }
    }

    #[test]
    fn numpy_table() {
        for (shape, text, expect) in NUMPY_CASES {
            check(shape, text, expect);
        }
    }

    #[test]
    fn numpy_grid_1d() {
        let entries: Vec<&str> = NUMPY_GRID_1D
            .split([';', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        assert_eq!(entries.len(), 512);
        for entry in entries {
            let (lhs, rhs) = entry.split_once('=').unwrap();
            let (n, text) = lhs.trim().split_once(' ').unwrap();
            let values: Vec<usize> = rhs.split_whitespace().map(|v| v.parse().unwrap()).collect();
            let shape = [n.parse::<usize>().unwrap()];
            let sel = Selection::resolve(Some(&parse_slice(text).unwrap()), &shape).unwrap();
            assert_eq!(sel.indices(0), values, "arange({n})[{text}]");
            assert_eq!(sel.out_shape(), vec![values.len()]);
            assert_eq!(
                read_via_ascending(&sel, &shape),
                values,
                "ascending arange({n})[{text}]"
            );
        }
    }

    fn range(start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> IndexItem {
        IndexItem::Range { start, stop, step }
    }

    #[test]
    fn parse_items() {
        use IndexItem::*;
        let cases: &[(&str, Vec<IndexItem>)] = &[
            ("", vec![]),
            ("  ", vec![]),
            ("1", vec![Index(1)]),
            ("1,", vec![Index(1)]),
            (" 1 , ", vec![Index(1)]),
            ("-3", vec![Index(-3)]),
            ("+3", vec![Index(3)]),
            ("- 3", vec![Index(-3)]),
            ("007", vec![Index(7)]),
            (":", vec![range(None, None, None)]),
            ("::", vec![range(None, None, None)]),
            ("::-1", vec![range(None, None, Some(-1))]),
            ("1:", vec![range(Some(1), None, None)]),
            (":2", vec![range(None, Some(2), None)]),
            ("1:2:3", vec![range(Some(1), Some(2), Some(3))]),
            (" 1 : -2 : 3 ", vec![range(Some(1), Some(-2), Some(3))]),
            ("::0", vec![range(None, None, Some(0))]),
            ("1:2:", vec![range(Some(1), Some(2), None)]),
            ("...", vec![Ellipsis]),
            ("..., 1", vec![Ellipsis, Index(1)]),
            (
                "1,...,::2",
                vec![Index(1), Ellipsis, range(None, None, Some(2))],
            ),
            ("-9223372036854775808", vec![Index(i64::MIN)]),
            ("9223372036854775807", vec![Index(i64::MAX)]),
        ];
        for (text, items) in cases {
            assert_eq!(parse_slice(text).unwrap().items, *items, "parse [{text}]");
        }
    }

    #[test]
    fn parse_errors() {
        let bad = [
            "a",
            "1.5",
            "1e3",
            "1,,2",
            ",",
            ",1",
            "1,,",
            "1:2:3:4",
            "...,...",
            "... , 1, ...",
            "--1",
            "+-1",
            "1 2",
            "- ",
            "..",
            "....",
            "1:a",
            "[1]",
            "None",
            "9223372036854775808",
            "-9223372036854775809",
            "0x10",
            "1_000",
            "(1)",
        ];
        for text in bad {
            let e = parse_slice(text).expect_err(text);
            assert!(!e.0.is_empty() && !e.0.contains('\n'), "{text}: {e}");
        }
        assert_eq!(
            parse_slice("...,...").unwrap_err().to_string(),
            "an index can only have a single ellipsis ('...')"
        );
    }

    #[test]
    fn display_round_trips() {
        let texts = [
            "",
            "1",
            "1, ::2, -3:",
            "...",
            ":",
            "::-1",
            "1:2:3",
            ":5, ..., -1",
            "::0",
        ];
        for text in texts {
            let expr = parse_slice(text).unwrap();
            assert_eq!(expr.to_string(), text);
            assert_eq!(parse_slice(&expr.to_string()).unwrap(), expr);
        }
        assert_eq!(
            parse_slice(" 1 ,::2,  -3 : ,").unwrap().to_string(),
            "1, ::2, -3:"
        );
        assert_eq!(parse_slice("1:2:").unwrap().to_string(), "1:2");
    }

    #[test]
    fn targets() {
        let ok: &[(&str, &str, Option<&str>)] = &[
            ("x", "/x", None),
            ("/x", "/x", None),
            ("/g/x[1:3]", "/g/x", Some("1:3")),
            ("g/x[1:3]", "/g/x", Some("1:3")),
            ("/grp/x[10:20, ::2]", "/grp/x", Some("10:20, ::2")),
            ("  /x [ ..., 1 ]  ", "/x", Some("..., 1")),
            ("/", "/", None),
            ("/a b/c[0]", "/a b/c", Some("0")),
        ];
        for (text, path, slice) in ok {
            let (p, s) = parse_target(text).unwrap();
            assert_eq!(p, *path, "{text}");
            assert_eq!(s, slice.map(|t| parse_slice(t).unwrap()), "{text}");
        }
        let bad = [
            "", "  ", "[1]", "/x[1", "/x1]", "/x]1[", "/x[1]]", "/x[[1]]", "/x[1][2]", "/x[1] y",
            "/x[a]", "/x[]", "/x[ ]",
        ];
        for text in bad {
            let e = parse_target(text).expect_err(text);
            assert!(!e.0.contains('\n'), "{text}: {e}");
        }
        assert!(parse_target("/x[1]z").unwrap_err().0.contains("after ']'"));
        assert!(parse_target("/x[1").unwrap_err().0.contains("unbalanced"));
        assert!(parse_target("[1]").unwrap_err().0.contains("empty"));
    }

    #[test]
    fn axis_selections() {
        let sel = |text: &str, shape: &[usize]| {
            Selection::resolve(Some(&parse_slice(text).unwrap()), shape).unwrap()
        };
        let ax = |start, step, count, keep| AxisSel {
            start,
            step,
            count,
            keep,
        };
        assert_eq!(sel("5:1:-2", &[10]).axes, vec![ax(5, -2, 2, true)]);
        assert_eq!(sel("10:0:-3", &[5]).axes, vec![ax(4, -3, 2, true)]);
        assert_eq!(sel("-1:-11:-1", &[10]).axes, vec![ax(9, -1, 10, true)]);
        assert_eq!(
            sel(":, 1", &[2, 3, 4]).axes,
            vec![ax(0, 1, 2, true), ax(1, 1, 1, false), ax(0, 1, 4, true)]
        );
        // Empty selections report start 0 whatever the bounds were.
        assert_eq!(sel("7:3", &[10]).axes, vec![ax(0, 1, 0, true)]);
        assert_eq!(sel("::-1", &[0]).axes, vec![ax(0, -1, 0, true)]);
        assert_eq!(
            Selection::resolve(None, &[3, 0]).unwrap(),
            Selection::all(&[3, 0])
        );
        assert_eq!(
            Selection::all(&[3, 0]).axes,
            vec![ax(0, 1, 3, true), ax(0, 1, 0, true)]
        );
        assert!(Selection::all(&[3, 0]).is_empty());
        assert_eq!(Selection::all(&[]).len(), 1);
        assert_eq!(sel("", &[4, 5]), Selection::all(&[4, 5]));
    }

    #[test]
    fn ascending_flags() {
        let sel = Selection::resolve(
            Some(&parse_slice("8:1:-3, 2, ::-1, 3::-5").unwrap()),
            &[10, 4, 1, 6],
        )
        .unwrap();
        let (asc, flip) = sel.ascending();
        let ax = |start, step, count, keep| AxisSel {
            start,
            step,
            count,
            keep,
        };
        assert_eq!(
            asc.axes,
            vec![
                ax(2, 3, 3, true),
                ax(2, 1, 1, false),
                ax(0, 1, 1, true),
                ax(3, 1, 1, true)
            ]
        );
        // Single-element axes never need flipping.
        assert_eq!(flip, vec![true, false, false, false]);
        assert_eq!(asc.indices(0), vec![2, 5, 8]);
        assert_eq!(sel.indices(0), vec![8, 5, 2]);
    }

    #[test]
    fn reverse_axes_matches_np_flip() {
        let data: Vec<u8> = (0..24u8).collect();
        let flip = |f: &[bool]| reverse_axes(&data, &[2, 3, 4], 1, f);
        // np.flip(np.arange(24).reshape(2, 3, 4), axes).ravel()
        assert_eq!(
            flip(&[true, false, true]),
            [
                15, 14, 13, 12, 19, 18, 17, 16, 23, 22, 21, 20, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9,
                8
            ]
        );
        assert_eq!(
            flip(&[false, true, false]),
            [
                8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3, 20, 21, 22, 23, 16, 17, 18, 19, 12, 13, 14,
                15
            ]
        );
        assert_eq!(flip(&[false, false, false]), data);
        // Multi-byte elements keep their byte order.
        let wide: Vec<u8> = vec![1, 2, 3, 4, 5, 6];
        assert_eq!(reverse_axes(&wide, &[3], 2, &[true]), [5, 6, 3, 4, 1, 2]);
        assert_eq!(
            reverse_axes(&[], &[0, 3], 8, &[true, true]),
            Vec::<u8>::new()
        );
        assert_eq!(reverse_axes(&[7, 8], &[], 2, &[]), [7, 8]);
    }
}
