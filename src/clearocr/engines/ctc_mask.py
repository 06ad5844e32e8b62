"""CTC decoding under the requested languages: PP-OCRv6's one multilingual recogniser is kept to the
languages' scripts and alphabets, character by character, before RapidOCR's greedy decoder reads a
line (:class:`ScriptMask`).

The mask works on the recogniser's per-step probabilities (``(batch, steps, characters)``): characters
of scripts no requested language uses are zeroed, accented letters a language does not use are
discounted against their base letter, and a space the model gives some evidence for is read between
characters where :func:`space_allowed` agrees. Used by :class:`~clearocr.engines.rapidocr.RapidOcrEngine`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from clearocr.languages import is_auto

#: Languages whose script is CJK (ideographs, kana, hangul): with none of them requested, the
#: recogniser may not emit those characters (see :func:`foreign_script`).
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})

#: Unicode name prefixes of characters that no Latin-script language needs. PP-OCRv6's one recogniser
#: knows Chinese, Japanese and Latin; reading an English receipt it sometimes picks a CJK character or
#: a full-width form for a Latin shape ("（" for "(", "排" for a smudge).
_FOREIGN_PREFIXES = (
    "CJK",
    "FULLWIDTH",
    "HALFWIDTH",
    "IDEOGRAPHIC",
    "HIRAGANA",
    "KATAKANA",
    "HANGUL",
    "BOPOMOFO",
    "KANGXI",
    "CYRILLIC",
    "GREEK",
    "ARABIC",
    "HEBREW",
    "THAI",
    "DEVANAGARI",
)


#: The letters beyond A-Z of Latin-script languages' alphabets (lower case; upper case follows),
#: loanword accents included where they are common in print (Swedish "idé", German "Café").
LATIN_ALPHABETS: dict[str, str] = {
    "en": "",
    "sv": "åäöé",
    "fi": "åäöšž",
    "da": "æøåé",
    "no": "æøåé",
    "nb": "æøåé",
    "nn": "æøåé",
    "de": "äöüßẞé",
    "nl": "éëïöüèáóú",
    "es": "áéíóúñü",
    "ca": "àçèéíïòóúü",
    "fr": "àâæçéèêëîïôœùûüÿ",
    "it": "àèéìíîòóùú",
    "pt": "áâãàçéêíóôõúü",
    "pl": "ąćęłńóśźż",
    "cs": "áčďéěíňóřšťúůýž",
    "sk": "áäčďéíĺľňóôŕšťúýž",
    "hu": "áéíóöőúüű",
    "ro": "ăâîșțşţ",
    "tr": "çğıöşüâî",
}


def _latin_allowed(languages: Sequence[str]) -> frozenset[str] | None:
    """The accented Latin letters the languages allow, or None for no restriction: English alone
    (English text carries foreign names: "Café", "Müller"), or a language without a table above."""
    codes = set(languages)
    if codes <= {"en"} or not codes <= set(LATIN_ALPHABETS):
        return None
    letters = "".join(LATIN_ALPHABETS[code] for code in codes)
    return frozenset(letters + letters.upper())


def foreign_script(token: str, languages: Sequence[str]) -> bool:
    """Whether a recogniser output token is in a script none of ``languages`` uses, or holds an
    accented Latin letter outside their alphabets (:data:`LATIN_ALPHABETS`: with ``sv`` asked for,
    "â" and "ó" are out, so the recogniser's next choice, usually "ä" or "ö", is read). Always False
    when a CJK language is requested: then every character the model knows may appear."""
    import unicodedata

    if CJK_LANGUAGES & set(languages):
        return False
    if any(unicodedata.name(char, "").startswith(_FOREIGN_PREFIXES) for char in token):
        return True
    allowed = _latin_allowed(languages)
    return allowed is not None and any(
        char.isalpha()
        and not char.isascii()
        and char not in allowed
        and unicodedata.name(char, "").startswith("LATIN")
        for char in token
    )


#: How much less likely than the model says an accented Latin letter is taken to be when English
#: is the only Latin-script language asked for: at a step whose best character is such a letter, it
#: is read only when its probability is at least 1 / ENGLISH_ACCENT_PRIOR times that of the best
#: other character. English print does carry accents (names, "Café", "Müller"), so they are
#: penalised rather than banned; the multilingual recogniser otherwise puts them on plain letters of
#: noisy scans ("Intércept", "Biò"). Fitted on the FUNSD forms and the parsee invoices; see
#: benchmarks/accent_prior.py.
ENGLISH_ACCENT_PRIOR = 0.2

#: The probability of a space the recogniser must give somewhere between two characters it read
#: with nothing between them for a space to be read there: PP-OCR's greedy CTC decoding drops the
#: narrow spaces of tight print ("forward.On", "E(01/13/2015)", "TAXINVOICE"), though the model
#: often sees them at 5-40%. Spaces are never put inside a number ("210,910", "8:13", "61-5"),
#: between two letters unless a capital follows a small letter ("SyndaxPharmaceuticals"; inside a
#: word a space would break it: "SH AH"), or next to a CJK character. Fitted on FUNSD, the parsee
#: invoices and SROIE; see benchmarks/space_evidence.py.
SPACE_EVIDENCE = 0.05

#: Characters that continue a number when digits stand on both sides ("3.75", "8:13", "12/31/94").
_NUMBER_JOINERS = frozenset(".,:/-")


def accent_penalised(token: str, languages: Sequence[str]) -> bool:
    """Whether a recogniser token holds an accented Latin letter that English alone does not use,
    when English is the only Latin-script language among ``languages`` (``en``, or ``en,zh``); such
    tokens get the prior :data:`ENGLISH_ACCENT_PRIOR` in :class:`ScriptMask`. Tokens that
    :func:`foreign_script` bans are not penalised (they are out already)."""
    import unicodedata

    latin = set(languages) - CJK_LANGUAGES
    if latin != {"en"} or foreign_script(token, languages):
        return False
    return any(
        char.isalpha() and not char.isascii() and unicodedata.name(char, "").startswith("LATIN")
        for char in token
    )


def space_allowed(before: str, left: str, right: str, after: str) -> bool:
    """Whether a space the model saw between characters ``left`` and ``right`` may be read
    (``before`` and ``after`` are their other neighbours, "" at a line's ends): not inside a number
    (digits, or a :data:`_NUMBER_JOINERS` character with a digit beyond it, on both sides), not
    between two letters unless a capital follows a small letter, not next to a CJK character."""
    if (left.isdigit() or (left in _NUMBER_JOINERS and before.isdigit())) and (
        right.isdigit() or (right in _NUMBER_JOINERS and after.isdigit())
    ):
        return False
    if left.isalpha() and right.isalpha() and not (left.islower() and right.isupper()):
        return False
    return not (foreign_script(left, ["en"]) or foreign_script(right, ["en"]))


def _base_letter(token: str) -> str | None:
    """The unaccented letter under an accented one ("í" -> "i", "Ö" -> "O"), or None ("ß", "ø")."""
    import unicodedata

    base = unicodedata.normalize("NFD", token)[:1]
    return base if len(token) == 1 and base.isascii() and base.isalpha() else None


#: A character the recogniser gives at least this probability is one it is sure of: a mask that
#: removes such characters is reported (:meth:`RapidOcrEngine.take_notes`), and in ``auto`` mode a
#: line with enough of them keeps its script (:data:`MIN_SURE_CJK`).
SURE = 0.9

#: In ``languages=["auto"]`` mode a line keeps its CJK characters when the recogniser is sure of at
#: least this many different ones that do not look like Latin marks (:data:`CJK_LOOKALIKES`), reads the
#: line with a mean character probability of at least :data:`MIN_CJK_LINE_CONFIDENCE`, and no one
#: character makes up more than half of six or more (a row of decorative stars read as "家家家末家").
#: Otherwise the line is read as with ``--lang en``: a lone smudge read as "排" on an English receipt,
#: or a dash read as "ー", is removed. Checked on the 90 SROIE receipts (benchmarks/script_mask.py).
MIN_SURE_CJK = 2
MIN_CJK_LINE_CONFIDENCE = 0.75

#: CJK characters shaped like dashes, bars and boxes: a dash, a rule or a box on a Latin page is read
#: as one of these with high probability, so they are not evidence of CJK text.
CJK_LOOKALIKES = frozenset("ー一二三丨丶丿乀乁亅口囗日曰工十土士干卜人入八冂冖")


def _is_cjk_token(token: str) -> bool:
    import unicodedata

    return bool(token) and all(
        unicodedata.name(char, "").startswith(
            ("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA", "HANGUL")
        )
        for char in token
    )


class ScriptMask:
    """Wraps RapidOCR's CTC decoder with the requested languages' prior over characters.

    The recogniser's probabilities of characters outside the requested languages' scripts
    (:func:`foreign_script`) are set to zero before decoding, so the decoder picks the best character
    that is allowed (the language restriction of a multilingual CTC model). Characters that are
    only unlikely (:func:`accent_penalised`) keep their place where the model is sure of them: at a
    step where one is the best, and its probability times :data:`ENGLISH_ACCENT_PRIOR` falls below
    that of the best other output (blank included), its probability goes to its unaccented letter
    ("í" -> "i"; one without, such as "ø", is zeroed). Last, a space is read between two characters
    where the model gives one at least :data:`SPACE_EVIDENCE` (:func:`space_allowed`). The model's
    output array is not modified, and the probability of a character read is the model's, so
    confidences keep their meaning.
    """

    def __init__(self, decoder: Any) -> None:
        self.decoder = decoder
        self.character = decoder.character
        self.columns: np.ndarray | None = None
        self.penalised: np.ndarray | None = None
        self.base: np.ndarray | None = None
        self.space: int | None = next((i for i, c in enumerate(self.character) if c == " "), None)
        self._masks: dict[tuple[str, ...], tuple[np.ndarray | None, ...]] = {}
        self.auto = False
        self._cjk = np.asarray([_is_cjk_token(token) for token in self.character], dtype=bool)
        self._banned = np.zeros(len(self.character), dtype=bool)
        #: Sure characters removed by the mask since :meth:`take_notes` (count, first examples) and
        #: lines read with their CJK characters kept in auto mode.
        self.removed = 0
        self.removed_examples = ""
        self.cjk_lines = 0
        self._notes_lock = threading.Lock()  # recognition workers decode in parallel threads

    def take_notes(self) -> dict[str, Any]:
        """What the mask did since the last call: ``removed`` sure characters (with ``examples``) and
        ``cjk_lines`` kept in CJK in auto mode; the counters restart."""
        with self._notes_lock:
            notes = {"removed": self.removed, "examples": self.removed_examples, "cjk_lines": self.cjk_lines}
            self.removed, self.removed_examples, self.cjk_lines = 0, "", 0
        return notes

    def use(self, languages: Sequence[str]) -> None:
        self.auto = is_auto(languages)
        key = ("en",) if self.auto else tuple(sorted(set(languages)))
        if key not in self._masks:
            banned = [i for i, token in enumerate(self.character) if foreign_script(token, key)]
            unlikely = [i for i, token in enumerate(self.character) if accent_penalised(token, key)]
            index = {token: i for i, token in enumerate(self.character)}
            bases = [index.get(_base_letter(self.character[i]) or "", -1) for i in unlikely]
            self._masks[key] = (
                np.asarray(banned, dtype=np.int64) if banned else None,
                np.asarray(unlikely, dtype=np.int64) if unlikely else None,
                np.asarray(bases, dtype=np.int64) if unlikely else None,
            )
        self.columns, self.penalised, self.base = self._masks[key]
        self._banned[:] = False
        if self.columns is not None:
            self._banned[self.columns] = True
        self._watched = self._banned.copy()  # steps whose best output is one of these are masked
        self._watched[self.penalised if self.penalised is not None else []] = True

    def _sure_tokens(self, row: np.ndarray, best: np.ndarray) -> list[tuple[int, float]]:
        """``(column, probability)`` of each character the greedy decoding of one line reads
        (``best``: the row's argmax per step)."""
        out = []
        for t in range(len(best)):
            if best[t] != 0 and (t == 0 or best[t] != best[t - 1]):
                out.append((int(best[t]), float(row[t, best[t]])))
        return out

    def _keeps_cjk(self, tokens: list[tuple[int, float]]) -> bool:
        """Auto mode: whether a line's sure CJK characters are evidence enough to read it in CJK (see
        :data:`MIN_SURE_CJK`)."""
        sure = [
            self.character[column]
            for column, p in tokens
            if self._cjk[column] and p >= SURE and self.character[column] not in CJK_LOOKALIKES
        ]
        if len(set(sure)) < MIN_SURE_CJK:
            return False
        if sum(p for _, p in tokens) / len(tokens) < MIN_CJK_LINE_CONFIDENCE:
            return False
        cjk = [self.character[column] for column, _ in tokens if self._cjk[column]]
        most = max(cjk.count(char) for char in set(cjk))
        return not (len(cjk) >= 6 and 2 * most > len(cjk))

    def _mask_rows(self, preds: np.ndarray, best: np.ndarray) -> np.ndarray:
        """``preds`` with the banned columns zeroed, row by row (in auto mode, not in rows read in CJK);
        sure characters that are removed are counted. ``best``: ``preds.argmax(axis=-1)``."""
        if self.columns is None:
            return preds
        # Only steps whose best output is banned (or penalised, which compares with the best other)
        # change when the banned columns are zeroed: those alone are, in a copy made when needed.
        out = preds
        for n in range(preds.shape[0]):
            tokens = self._sure_tokens(preds[n], best[n])
            if self.auto and self._keeps_cjk(tokens):
                with self._notes_lock:
                    self.cjk_lines += 1
                continue
            lost = [column for column, p in tokens if self._banned[column] and p >= SURE]
            if lost:
                with self._notes_lock:
                    self.removed += len(lost)
                    if len(self.removed_examples) < 12:
                        self.removed_examples += "".join(self.character[c] for c in lost)[:12]
            steps = np.flatnonzero(self._watched[best[n]])
            if steps.size:
                if out is preds:
                    out = preds.copy()
                out[n, steps[:, None], self.columns[None, :]] = 0.0
        return out

    def __call__(self, preds: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        if preds.ndim == 3 and preds.shape[-1] == len(self.character):
            # One argmax over the (lines, steps, ~18k characters) output serves every stage until a
            # stage changes the array (most lines pass unchanged).
            best = preds.argmax(axis=-1)
            changed = self._mask_rows(preds, best)
            if changed is not preds:
                preds, best = changed, changed.argmax(axis=-1)
            if self.penalised is not None and self.base is not None:
                changed = self._penalise(preds, self.penalised, self.base, best)
                if changed is not preds:
                    preds, best = changed, changed.argmax(axis=-1)
            if self.space is not None and SPACE_EVIDENCE < 1.0:
                changed = self._spaces(preds, best)
                if changed is not preds:
                    preds, best = changed, changed.argmax(axis=-1)
            if not hasattr(self.decoder, "decode"):
                return self.decoder(preds, *args, **kwargs)
            # RapidOCR 3.10's CTCLabelDecode.__call__ (pinned) less its own argmax and max passes.
            return self.decoder.decode(
                best,
                np.take_along_axis(preds, best[..., None], axis=-1)[..., 0],
                kwargs.get("return_word_box", args[0] if args else False),
                kwargs.get("wh_ratio_list", (1.0,)),
                kwargs.get("max_wh_ratio", 1.0),
                remove_duplicate=True,
            )
        return self.decoder(preds, *args, **kwargs)

    def _spaces(self, preds: np.ndarray, best: np.ndarray) -> np.ndarray:
        """``preds`` with a space read between two characters where the model gives one at least
        :data:`SPACE_EVIDENCE` somewhere between them and :func:`space_allowed` agrees (``best``:
        ``preds.argmax(axis=-1)``)."""
        space = self.space
        assert space is not None
        out = preds
        for n in range(best.shape[0]):
            row = best[n]
            steps = [t for t in range(len(row)) if row[t] != 0 and (t == 0 or row[t] != row[t - 1])]
            text = [self.character[row[t]] for t in steps]
            for i in range(1, len(steps)):
                start, end = steps[i - 1] + 1, steps[i]
                if end <= start or row[steps[i - 1]] == space or row[end] == space:
                    continue
                evidence = preds[n, start:end, space]
                if float(evidence.max()) < SPACE_EVIDENCE:
                    continue
                before = text[i - 2] if i >= 2 else ""
                after = text[i + 1] if i + 1 < len(text) else ""
                if not space_allowed(before, text[i - 1], text[i], after):
                    continue
                if out is preds:
                    out = preds.copy()
                t = start + int(evidence.argmax())
                out[n, t, space] = float(out[n, t].max()) + 1e-6
        return out

    @staticmethod
    def _penalise(preds: np.ndarray, penalised: np.ndarray, base: np.ndarray, best: np.ndarray) -> np.ndarray:
        where = np.flatnonzero(np.isin(best, penalised))
        if not len(where):
            return preds
        flat = preds.reshape(-1, preds.shape[-1])
        rows = flat[where].copy()
        chosen = best.ravel()[where]
        top = rows[np.arange(len(rows)), chosen]
        others = rows.copy()
        others[np.arange(len(rows)), chosen] = 0.0
        drop = top * ENGLISH_ACCENT_PRIOR < others.max(axis=-1)
        if not drop.any():
            return preds
        preds = preds.copy()
        flat = preds.reshape(-1, preds.shape[-1])
        lookup = dict(zip(penalised.tolist(), base.tolist()))
        for row, column, value in zip(where[drop], chosen[drop], top[drop]):
            flat[row, penalised] = 0.0
            target = lookup[int(column)]
            if target >= 0:
                flat[row, target] = max(flat[row, target], value)
        return preds

    def __getattr__(self, name: str) -> Any:
        return getattr(self.decoder, name)
