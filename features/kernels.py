"""numba kernels of the feature extractor: integer arrays in, integer arrays out.

Notation: ``N`` tokens of the corpus, ``S`` sentences, ``E`` extractor value
rows, ``T`` templates, ``K`` the largest number of slots of a template and
``W = K + 1`` the width of a key row ``[template, value_1, ..., value_K]``
(unused slots hold :data:`NO_SLOT`).

A key row names one attribute exactly. Keys are interned in an open
addressing hash table (``tab_keys int32[cap, W]``, ``tab_vals int32[cap]``,
``cap`` a power of two, empty slots have ``tab_keys[:, 0] == -1``) that maps
each key to its attribute id. Value ids are ``>= 0``; ``-1`` in a value row
means "this token has no value" and suppresses every template instance that
uses it.

Codes (in ``tab_vals`` and in the directly addressed blocks of templates
with few possible keys): ``>= 0`` attribute id, ``-1`` known to be absent
from a frozen vocabulary, ``UNSEEN`` (direct blocks only) never seen,
``<= PENDING_BASE`` a key waiting for the caller to name it (pending number
``PENDING_BASE - code``).
"""

from __future__ import annotations

import numpy as np

from crftagger.engine._jit import njit

NO_SLOT = -7
PENDING_BASE = -10
UNSEEN = -3


@njit(inline="always")
def hash_row(row, W):
    """Hash of a key row: FNV-1a over the ``W`` int32 entries followed by a 64-bit mix.

    ``row`` int32[W]; returns a non-negative int64.
    """
    h = np.uint64(14695981039346656037)
    for j in range(W):
        h ^= np.uint64(np.uint32(row[j]))
        h *= np.uint64(1099511628211)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    return np.int64(h >> np.uint64(1))


@njit(inline="always")
def table_find(tab_keys, row, W):
    """Slot of ``row`` in the table, or the empty slot where it would go.

    Linear probing over ``tab_keys`` int32[cap, W]; ``cap`` is a power of two
    and the table is never full (the caller keeps the load below one half).
    """
    mask = tab_keys.shape[0] - 1
    slot = hash_row(row, W) & mask
    while True:
        if tab_keys[slot, 0] == -1:
            return slot
        same = True
        for j in range(W):
            if tab_keys[slot, j] != row[j]:
                same = False
                break
        if same:
            return slot
        slot = (slot + 1) & mask


@njit
def table_rehash(old_keys, old_vals, new_keys, new_vals):
    """Re-insert every used slot of ``old_*`` into the empty table ``new_*``."""
    W = old_keys.shape[1]
    for s in range(old_keys.shape[0]):
        if old_keys[s, 0] != -1:
            slot = table_find(new_keys, old_keys[s], W)
            for j in range(W):
                new_keys[slot, j] = old_keys[s, j]
            new_vals[slot] = old_vals[s]


@njit
def patch_pending(out, lo, hi, resolved):
    """Replace pending codes in ``out[lo:hi]`` by ``resolved[PENDING_BASE - code]``."""
    for i in range(lo, hi):
        c = out[i]
        if c <= PENDING_BASE:
            out[i] = resolved[PENDING_BASE - c]


@njit(inline="always")
def _emit_row(t, i, s_lo, s_hi, vals, pad_ids, t_nslots, t_ext, t_off, t_pad, row):
    """Fill ``row`` with the key of template ``t`` at token ``i``; False when not emitted.

    Token ``i`` lies in the sentence ``s_lo <= i < s_hi``. A slot at offset
    ``o`` reads ``vals[e, i + o]``; outside the sentence it takes the padding
    value ``pad_ids[e, side, distance]`` (side 0 before, 1 after) when
    ``t_pad[t]`` is set, and otherwise suppresses the instance.
    """
    row[0] = t
    n = t_nslots[t]
    for j in range(n):
        e = t_ext[t, j]
        p = i + t_off[t, j]
        if p < s_lo:
            if t_pad[t] == 0:
                return False
            v = pad_ids[e, 0, s_lo - p]
        elif p >= s_hi:
            if t_pad[t] == 0:
                return False
            v = pad_ids[e, 1, p - s_hi + 1]
        else:
            v = vals[e, p]
        if v < 0:
            return False
        row[1 + j] = v
    for j in range(n + 1, row.shape[0]):
        row[j] = NO_SLOT
    return True


@njit(inline="always")
def _applies(where, i, s_lo, s_hi):
    """Template position rule: 0 every token, 1 the first token, 2 the last token."""
    if where == 0:
        return True
    if where == 1:
        return i == s_lo
    return i == s_hi - 1


@njit
def attributes_kernel(
    seq_ptr,
    s0,
    vals,
    pad_ids,
    t_nslots,
    t_ext,
    t_off,
    t_pad,
    t_where,
    t_taint,
    d_off,
    d_shift,
    direct,
    unsafe,
    unsafe_ptr,
    tab_keys,
    tab_vals,
    n_used,
    max_used,
    pend_all,
    pend_rows,
    pend_slot,
    out,
    out_pos,
    item_cnt,
    n_hashed,
):
    """Attribute ids of every template instance, sentence by sentence from ``s0``.

    For token ``i`` and template ``t`` (in template order) whose slots all have
    values, the key row ``[t, v_1, .., v_n]`` is looked up and its code is
    appended to ``out``; ``item_cnt[i]`` counts the codes of token ``i``.
    Templates with ``d_off[t] >= 0`` are addressed directly: their code is
    ``direct[d_off[t] + sum_j v_j << d_shift[t, j]]`` (:data:`UNSEEN` when
    not seen); the others go through the hash table ``tab_keys``/``tab_vals``.

    An unseen key becomes pending (its code set to a pending code, its row
    and location saved in ``pend_rows[P, W]`` / ``pend_slot[P]``, a direct
    index ``x`` saved as ``-(x + 1)``) when ``pend_all`` is set, when
    ``t_taint[t]`` is set, or when a value of a slot other than the last is
    flagged in ``unsafe`` (CSR by extractor row: value ``v`` of row ``e`` is
    ``unsafe[unsafe_ptr[e] + v]``); otherwise it is written as -1.

    Shapes: ``seq_ptr`` int64[S+1]; ``vals`` int32[E, N]; ``pad_ids``
    int32[E, 2, D+1]; ``t_*`` indexed by template, ``t_ext``/``t_off``/
    ``d_shift`` int32[T, K]; ``out`` int32[>= nnz]; ``item_cnt`` int64[N].
    ``n_used`` int64[2] holds (used table slots, pending count).

    Returns ``(s_next, out_pos)``: the kernel stops before a sentence that
    could overflow the table load (``max_used``; ``n_hashed`` templates use
    the table) or the pending buffer, so the caller grows them and calls again
    from ``s_next``.
    """
    S = seq_ptr.shape[0] - 1
    T = t_nslots.shape[0]
    W = tab_keys.shape[1]
    P = pend_rows.shape[0]
    row = np.empty(W, dtype=np.int32)
    for s in range(s0, S):
        s_lo = seq_ptr[s]
        s_hi = seq_ptr[s + 1]
        if n_used[0] + (s_hi - s_lo) * n_hashed > max_used or n_used[1] + (s_hi - s_lo) * T > P:
            return s, out_pos
        for i in range(s_lo, s_hi):
            c0 = out_pos
            for t in range(T):
                if not _applies(t_where[t], i, s_lo, s_hi):
                    continue
                if not _emit_row(
                    t, i, s_lo, s_hi, vals, pad_ids, t_nslots, t_ext, t_off, t_pad, row
                ):
                    continue
                n = t_nslots[t]
                dx = d_off[t]
                slot = -1
                if dx >= 0:
                    for j in range(n):
                        dx += np.int64(row[1 + j]) << d_shift[t, j]
                    code = direct[dx]
                    if code != UNSEEN:
                        out[out_pos] = code
                        out_pos += 1
                        continue
                else:
                    slot = table_find(tab_keys, row, W)
                    if tab_keys[slot, 0] != -1:
                        out[out_pos] = tab_vals[slot]
                        out_pos += 1
                        continue
                pend = pend_all or t_taint[t] != 0
                if not pend:
                    for j in range(n - 1):
                        e = t_ext[t, j]
                        if unsafe[unsafe_ptr[e] + row[1 + j]] != 0:
                            pend = True
                            break
                if not pend:
                    out[out_pos] = -1
                    out_pos += 1
                    continue
                k = n_used[1]
                for j in range(W):
                    pend_rows[k, j] = row[j]
                code = PENDING_BASE - k
                if dx >= 0:
                    direct[dx] = code
                    pend_slot[k] = -(dx + 1)
                else:
                    for j in range(W):
                        tab_keys[slot, j] = row[j]
                    tab_vals[slot] = code
                    pend_slot[k] = slot
                    n_used[0] += 1
                n_used[1] += 1
                out[out_pos] = code
                out_pos += 1
            item_cnt[i] = out_pos - c0
    return S, out_pos


@njit
def set_codes(tab_vals, direct, slots, values):
    """Store resolved codes: ``slots[p] >= 0`` is a table slot, ``-(x + 1)`` a direct index ``x``."""
    for p in range(slots.shape[0]):
        s = slots[p]
        if s >= 0:
            tab_vals[s] = values[p]
        else:
            direct[-s - 1] = values[p]


@njit
def relayout(old, o_off, o_shift, o_bits, n, size, new, n_off, n_shift):
    """Copy a direct block of ``size`` codes to a new mixed-radix layout.

    Old index ``o_off + sum_j v_j << o_shift[j]`` (``v_j < 2**o_bits[j]``)
    moves to ``n_off + sum_j v_j << n_shift[j]``; unseen codes are skipped.
    """
    for x in range(size):
        c = old[o_off + x]
        if c == UNSEEN:
            continue
        y = n_off
        for j in range(n):
            v = (np.int64(x) >> o_shift[j]) & ((np.int64(1) << o_bits[j]) - 1)
            y += v << n_shift[j]
        new[y] = c


@njit
def direct_rows(block, t, shift, bits, n, W):
    """Key rows ``int32[m, W]`` and codes ``int32[m]`` of the seen entries of a direct block."""
    m = 0
    for x in range(block.shape[0]):
        if block[x] != UNSEEN:
            m += 1
    rows = np.full((m, W), NO_SLOT, dtype=np.int32)
    codes = np.empty(m, dtype=np.int32)
    k = 0
    for x in range(block.shape[0]):
        c = block[x]
        if c == UNSEEN:
            continue
        rows[k, 0] = t
        for j in range(n):
            rows[k, 1 + j] = (np.int64(x) >> shift[j]) & ((np.int64(1) << bits[j]) - 1)
        codes[k] = c
        k += 1
    return rows, codes


@njit
def purge_absent(old_keys, old_vals, new_keys, new_vals, direct):
    """Drop cached "absent" codes (-1): rehash the table without them, unset them in ``direct``."""
    W = old_keys.shape[1]
    kept = 0
    for s in range(old_keys.shape[0]):
        if old_keys[s, 0] != -1 and old_vals[s] != -1:
            slot = table_find(new_keys, old_keys[s], W)
            for j in range(W):
                new_keys[slot, j] = old_keys[s, j]
            new_vals[slot] = old_vals[s]
            kept += 1
    for x in range(direct.shape[0]):
        if direct[x] == -1:
            direct[x] = UNSEEN
    return kept


@njit
def instances_kernel(
    seq_ptr, vals, pad_ids, t_nslots, t_ext, t_off, t_pad, t_where, rows, item_cnt
):
    """Key rows of every template instance, in token then template order.

    Same instances as :func:`attributes_kernel` without the table: the rows go
    to ``rows`` int32[>= nnz, W] and ``item_cnt[i]`` counts those of token
    ``i``. Returns the number of rows written.
    """
    S = seq_ptr.shape[0] - 1
    T = t_nslots.shape[0]
    W = rows.shape[1]
    row = np.empty(W, dtype=np.int32)
    k = 0
    for s in range(S):
        s_lo = seq_ptr[s]
        s_hi = seq_ptr[s + 1]
        for i in range(s_lo, s_hi):
            c0 = k
            for t in range(T):
                if not _applies(t_where[t], i, s_lo, s_hi):
                    continue
                if not _emit_row(
                    t, i, s_lo, s_hi, vals, pad_ids, t_nslots, t_ext, t_off, t_pad, row
                ):
                    continue
                for j in range(W):
                    rows[k, j] = row[j]
                k += 1
            item_cnt[i] = k - c0
    return k


@njit
def drop_negative(item_ptr, ids):
    """CSR ``(item_ptr int64[N+1], ids int32[nnz])`` without the entries ``< 0``."""
    N = item_ptr.shape[0] - 1
    new_ptr = np.empty(N + 1, dtype=np.int64)
    new_ids = np.empty(ids.shape[0], dtype=np.int32)
    k = 0
    new_ptr[0] = 0
    for i in range(N):
        for p in range(item_ptr[i], item_ptr[i + 1]):
            if ids[p] >= 0:
                new_ids[k] = ids[p]
                k += 1
        new_ptr[i + 1] = k
    return new_ptr, new_ids[:k].copy()


@njit
def gazetteer_kernel(seq_ptr, tok, tab_keys, tab_vals, terminal, out):
    """Longest-first, left-to-right matching of a token trie; B/I/E/S codes 0/1/2/3.

    ``tok`` int32[N]: gazetteer token id of each corpus token (-1 if the
    token occurs in no entry). The trie edges are key rows ``[node, token]``
    of the table ``tab_keys int32[cap, 2]`` mapping to the child node
    ``tab_vals``; node 0 is the root and ``terminal uint8[nodes]`` marks ends
    of entries. At each position the longest entry starting there is taken,
    its tokens are coded B, I.., E (S for a single token) in ``out`` int32[N]
    (others -1), and the scan resumes after it.
    """
    S = seq_ptr.shape[0] - 1
    row = np.empty(2, dtype=np.int32)
    for s in range(S):
        lo = seq_ptr[s]
        hi = seq_ptr[s + 1]
        for i in range(lo, hi):
            out[i] = -1
        i = lo
        while i < hi:
            node = 0
            best = 0
            j = i
            while j < hi and tok[j] >= 0:
                row[0] = node
                row[1] = tok[j]
                slot = table_find(tab_keys, row, 2)
                if tab_keys[slot, 0] == -1:
                    break
                node = tab_vals[slot]
                j += 1
                if terminal[node] != 0:
                    best = j - i
            if best == 0:
                i += 1
            elif best == 1:
                out[i] = 3
                i += 1
            else:
                out[i] = 0
                for p in range(i + 1, i + best - 1):
                    out[p] = 1
                out[i + best - 1] = 2
                i += best


@njit
def ambiguous_rows(rows, t_nslots, t_ext, unsafe, unsafe_ptr):
    """1 for each key row ``rows[n, W]`` with an unsafe value in a slot other than the last."""
    n = rows.shape[0]
    out = np.zeros(n, dtype=np.uint8)
    for p in range(n):
        t = rows[p, 0]
        for j in range(t_nslots[t] - 1):
            e = t_ext[t, j]
            if unsafe[unsafe_ptr[e] + rows[p, 1 + j]] != 0:
                out[p] = 1
                break
    return out
