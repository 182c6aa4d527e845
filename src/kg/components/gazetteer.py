"""Provinces, organisations and posts: gazetteer matches against the reference data, plus bodies
recognised by their structure ("Sở Y tế Hà Nội", "UBND tỉnh Gia Lai", "Bệnh viện Bạch Mai"),
ministries listed after "các Bộ:", and posts made of a role and an organisation."""

from __future__ import annotations

import re
from bisect import bisect_left

from spacy.language import Language
from spacy.tokens import Doc

from kg.annotations import DocAnalysis, Mention, get_analysis
from kg.gazetteers import Gazetteers, OrgPattern, default_gazetteers, slug
from kg.matching import Word, is_caps_line
from kg.reference import Organization, Post, Province, Role
from kg.text import fold

_PREFIX = re.compile(
    r"(?:(?:thành phố|Thành phố|THÀNH PHỐ|TP\.?|Tp\.?|tỉnh|Tỉnh|TỈNH|Thủ đô|thủ đô)\s*)$"
)
# "các Bộ:" opening a list of ministries, found from its literal part "ác Bộ", which the regex
# engine scans for far faster than for a word boundary; the "c" before it is checked in code
_ENUM_START = re.compile(r"ác\s+Bộ\s*:?\s*")
_ENUM_SEP = re.compile(r"^\s*(?:,|;|và|,\s*và)\s*")


def _word_char(char: str) -> bool:
    """What the regex `\\w` matches."""
    return char.isalnum() or char == "_"


def _capital_ok(text: str, start: int) -> bool:
    return text[start : start + 1].isupper() or is_caps_line(text, start)


def province_key(province: Province) -> str:
    return f"province:{province.code}"


def org_key(org: Organization) -> str:
    return f"org:{org.id}"


def register_province(analysis: DocAnalysis, province: Province) -> str:
    key = province_key(province)
    analysis.add_entity(
        "province",
        key,
        province.name,
        code=province.code,
        name_en=province.name_en,
        province_kind=province.kind,
        region=province.region,
    )
    return key


def register_org(analysis: DocAnalysis, org: Organization) -> str:
    key = org_key(org)
    analysis.add_entity(
        "organization",
        key,
        org.name,
        name_en=org.name_en,
        org_kind=org.kind,
        codes=tuple(org.codes),
        parent=f"org:{org.parent}" if org.parent else None,
    )
    return key


def register_local_org(
    analysis: DocAnalysis, label: str, kind: str, province: Province | None = None
) -> str:
    key = f"org:{slug(label)}"
    attrs: dict[str, object] = {"org_kind": kind}
    if province is not None:
        attrs["province"] = register_province(analysis, province)
    analysis.add_entity("organization", key, label, **attrs)
    return key


def pattern_is_name(pattern: OrgPattern) -> bool:
    return pattern.complement == "name"


def register_post(
    analysis: DocAnalysis, g: Gazetteers, label: str, value: Post | Role, org_key_: str | None
) -> str:
    """The key of a post ("Bộ trưởng Bộ Y tế"): the reference post when one has that name,
    else one made of its role and organisation."""
    if not isinstance(value, Post):
        known = g.post_by_label.get(fold(label))
        if known is None:
            key = f"post:{slug(label)}"
            analysis.add_entity(
                "post",
                key,
                label,
                role=value.label,
                role_heads=value.heads,
                organization=org_key_,
                post_id=None,
            )
            return key
        value = known
    role = g.ref.roles.get(value.role)
    if org_key_ is None and value.organization:
        org_key_ = f"org:{value.organization}"
    key = f"post:{value.id}"
    analysis.add_entity(
        "post",
        key,
        value.label,
        label_en=value.label_en,
        role=value.role,
        role_heads=bool(role and role.heads),
        organization=org_key_,
        post_id=value.id,
    )
    return key


class EntityFinder:
    """Adds province, organisation and post mentions to `doc._.kg`."""

    def __init__(self, gazetteers: Gazetteers) -> None:
        self.g = gazetteers
        self.function_words = frozenset(gazetteers.lexicon.texts("function_word"))

    def __call__(self, doc: Doc) -> Doc:
        analysis = get_analysis(doc)
        text = analysis.text
        words = analysis.words()
        provinces = self._provinces(analysis, text, words)
        orgs = self._organizations(analysis, text, words, provinces)
        self._posts(analysis, text, words, orgs)
        return doc

    # provinces ---------------------------------------------------------------------------
    def _provinces(self, analysis: DocAnalysis, text: str, words: list[Word]) -> list[Mention]:
        found = []
        for m in self.g.provinces.find_all(text, words, analysis.positions_for(words)):
            if not _capital_ok(text, m.start):
                continue
            start = m.start
            prefix = _PREFIX.search(text, max(0, start - 12), start)
            if prefix:
                start = prefix.start()
            key = register_province(analysis, m.value)
            mention = Mention("province", start, m.end, key, text[start : m.end], "gazetteer")
            analysis.add_mention(mention)
            found.append(mention)
        return found

    def _province_at(self, text: str, words: list[Word], i: int):
        """A province named from word i on, allowing "tỉnh"/"thành phố"/"TP." before it."""
        j = i
        while (
            j < len(words)
            and j < i + 2
            and words[j].key in ("tỉnh", "thành", "phố", "tp", "thủ", "đô")
        ):
            j += 1
        for k in (j, i):
            if k < len(words):
                m = self.g.provinces.match_at(text, words, k)
                # the name itself must be capitalised; "thành phố" before it may not be
                if m is not None and j < len(words) and _capital_ok(text, words[j].start):
                    return m
        return None

    # organisations ---------------------------------------------------------------------------
    def _organizations(
        self, analysis: DocAnalysis, text: str, words: list[Word], provinces: list[Mention]
    ) -> list[Mention]:
        found: list[Mention] = []
        taken: list[tuple[int, int]] = []

        def free(start: int, end: int) -> bool:
            return not any(s < end and start < e for s, e in taken)

        def add(start: int, end: int, key: str, rule: str) -> None:
            mention = Mention("organization", start, end, key, text[start:end], rule)
            analysis.add_mention(mention)
            found.append(mention)
            taken.append((start, end))

        candidates = []
        positions = analysis.positions_for(words)
        for m in self.g.organizations.find_all(text, words, positions):
            if _capital_ok(text, m.start):
                candidates.append((m.start, m.end, "gazetteer", m.value))
        for start, end, label, kind, province in self._structural(
            text, words, provinces, positions
        ):
            candidates.append((start, end, "structure", (label, kind, province)))
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        for start, end, rule, value in candidates:
            if not free(start, end):
                continue
            if rule == "gazetteer":
                add(start, end, register_org(analysis, value), rule)
            else:
                label, kind, province = value
                add(start, end, register_local_org(analysis, label, kind, province), rule)
        for start, end, org in self._ministry_lists(text, words):
            if free(start, end):
                add(start, end, register_org(analysis, org), "ministry-list")
        return found

    def _ministry_lists(self, text: str, words: list[Word]):
        starts: list[int] | None = None
        for head in _ENUM_START.finditer(text):
            at = head.start() - 1  # the "C" or "c" of "các", at a word's start
            if at < 0 or text[at] not in "Cc" or (at > 0 and _word_char(text[at - 1])):
                continue
            if starts is None:  # made only for a text that has such a list
                starts = [w.start for w in words]
            pos = head.end()
            while (at := bisect_left(starts, pos)) < len(starts) and starts[at] == pos:
                m = self.g.ministry_fields.match_at(text, words, at)
                if m is None:
                    break
                yield m.start, m.end, m.value
                sep = _ENUM_SEP.match(text[m.end : m.end + 8])
                if not sep:
                    break
                pos = m.end + sep.end()

    def _structural(
        self,
        text: str,
        words: list[Word],
        provinces: list[Mention],
        positions: dict[str, list[int]] | None = None,
    ):
        for i in self.g.org_heads.candidates(words, positions):
            m = self.g.org_heads.match_at(text, words, i)
            if m is None or not text[m.start].isupper():
                continue
            if is_caps_line(text, m.start) and m.last - m.first == 1 and pattern_is_name(m.value):
                continue  # "BÁO CÁO", "HỘI NGHỊ": one-word heads are too ambiguous in capitals
            if is_caps_line(text, m.start) and i > 0:
                line_start = text.rfind("\n", 0, m.start) + 1
                previous = words[i - 1]
                if previous.start >= line_start and len(previous.text) > 2:
                    continue  # "NHIỆM VỤ", "XÃ HỘI": in a capitalised line a head starts the name
            pattern: OrgPattern = m.value
            nxt = m.last
            if nxt >= len(words) or text[m.end : words[nxt].start] not in (" ", " - "):
                continue
            if words[nxt].key in ("các", "cấp", "những"):
                continue
            if pattern.complement == "province":
                pm = self._province_at(text, words, nxt)
                if pm is not None and pm.first <= nxt + 2:
                    province: Province = pm.value
                    end = pm.end
                else:
                    # "Phó Chủ tịch UBND tỉnh cho biết": the province the text is about
                    found = self._province_referred(text, words, nxt, provinces)
                    if found is None:
                        continue
                    province, end = found
                city = province.kind == "thành phố"
                if pattern.canonical in ("Thành ủy", "Tỉnh ủy"):
                    label = f"{'Thành ủy' if city else 'Tỉnh ủy'} {province.name}"
                elif pattern.canonical in ("Ủy ban nhân dân", "Hội đồng nhân dân"):
                    label = (
                        f"{pattern.canonical} {'Thành phố' if city else 'tỉnh'} {province.short}"
                    )
                else:
                    label = (
                        f"{pattern.canonical} {'thành phố' if city else 'tỉnh'} {province.short}"
                    )
                yield m.start, end, label, pattern.kind, province
            elif pattern.complement == "field":
                fm = self.g.ministry_fields.match_at(text, words, nxt)
                if fm is None:
                    continue
                pm = self._province_at(text, words, fm.last) if fm.last < len(words) else None
                if pm is None or pm.first > fm.last + 2 or "\n" in text[fm.end : pm.start]:
                    continue
                field_name = fm.value.name[3:]
                yield m.start, pm.end, f"Sở {field_name} {pm.value.name}", pattern.kind, pm.value
            else:
                end_word = self._name_run(text, words, nxt, lower_start=pattern.kind == "company")
                if end_word is None:
                    continue
                for k in range(nxt + 1, end_word):
                    if self.g.provinces.match_at(text, words, k) is not None and text[
                        words[k - 1].end : words[k].start
                    ].strip(" "):
                        end_word = (
                            k  # "Quận ủy Hoàn Kiếm - Hà Nội": the province is not in the name
                        )
                        break
                end = words[end_word - 1].end
                name = text[words[nxt].start : end].strip(" -")
                if name.isupper() and len(name) > 3:
                    name = " ".join(w[:1] + w[1:].lower() for w in name.split())
                label = f"{pattern.canonical} {name}"
                yield m.start, end, label, pattern.kind, None

    def _province_referred(self, text, words, i, provinces):
        """For "UBND tỉnh" or "Công an thành phố" with no name: the last province named before,
        when it is of that kind. Returns (province, end of "tỉnh"/"thành phố")."""
        if words[i].key == "tỉnh":
            kind, last = "tỉnh", i
        elif words[i].key == "thành" and i + 1 < len(words) and words[i + 1].key == "phố":
            kind, last = "thành phố", i + 1
        else:
            return None
        if last + 1 < len(words) and words[last + 1].capitalised and text[words[last].end] == " ":
            return None  # a name follows that is not a province we know
        earlier = [m for m in provinces if m.end <= words[i].start]
        if not earlier:
            return None
        code = earlier[-1].key.partition(":")[2]
        province = self.g.ref.provinces.get(code)
        if province is None or province.kind != kind:
            return None
        return province, words[last].end

    def _name_run(
        self, text: str, words: list[Word], i: int, lower_start: bool = False
    ) -> int | None:
        """End (exclusive word index) of a proper name starting at word i, or None. Lowercase
        words continue a name ("Cục Y tế dự phòng", "Bệnh viện Nội tiết Trung ương") unless
        they are function words or verbs, which end it ("Bệnh viện E vào hỗ trợ …")."""
        stop = self.function_words
        if not (words[i].capitalised or words[i].text.isdigit()):
            # "Công ty cổ phần vắc xin Việt Nam": a company's name may open in lower case
            k = i
            while lower_start and k < len(words) and k < i + 3 and not words[k].capitalised:
                if words[k].key in stop or text[words[k - 1].end : words[k].start] != " ":
                    return None
                k += 1
            if not lower_start or k >= len(words) or not words[k].capitalised:
                return None
        j = i + 1
        while j < len(words) and j < i + 10:
            if text[words[j - 1].end : words[j].start] not in (" ", " - ", "-"):
                break
            if words[j].capitalised:
                j += 1
                continue
            k = j
            while (
                k < len(words)
                and k < j + 3
                and not words[k].capitalised
                and words[k].key not in stop
                and (k + 1 >= len(words) or f"{words[k].key} {words[k + 1].key}" not in stop)
                and text[words[k - 1].end : words[k].start] == " "
            ):
                k += 1
            if k == j:
                break
            ended_by = text[words[k - 1].end : words[k].start] if k < len(words) else ""
            if k < len(words) and ended_by == " " and words[k].capitalised:
                j = k
                continue
            closed = (
                k >= len(words)
                or ended_by.strip(" ") != ""
                or words[k].key in stop
                or (k + 1 < len(words) and f"{words[k].key} {words[k + 1].key}" in stop)
            )
            if closed:
                j = k
            break
        return j

    # posts --------------------------------------------------------------------------------
    def _posts(
        self, analysis: DocAnalysis, text: str, words: list[Word], orgs: list[Mention]
    ) -> None:
        org_at = {m.start: m for m in orgs}
        i = 0
        # only where a post or a role starts can there be a mention
        positions = analysis.positions_for(words)
        candidates = {
            *self.g.posts.candidates(words, positions),
            *self.g.roles.candidates(words, positions),
        }
        for candidate in sorted(candidates):
            if candidate < i:
                continue  # inside the last mention
            i = candidate
            known = self.g.posts.match_at(text, words, i)
            role = self.g.roles.match_at(text, words, i)
            best = None
            if role is not None:
                after = role.end + 1
                if text[role.end : after] == " " and after in org_at:
                    org = org_at[after]
                    label = f"{role.value.label} {analysis.entities[org.key].label}"
                    best = (role.start, org.end, label, role.value, org.key, role.last)
                    org.in_post = True
            if known is not None and (best is None or known.end >= best[1]):
                post: Post = known.value
                org_key_ = f"org:{post.organization}" if post.organization else None
                inside = [o for o in orgs if known.start <= o.start and o.end <= known.end]
                for o in inside:
                    o.in_post = True
                if org_key_ is None and inside:
                    org_key_ = inside[-1].key  # "Bí thư Thành ủy Hà Nội": the body named in it
                best = (known.start, known.end, post.label, post, org_key_, known.last)
            elif best is None and role is not None:
                if re.match(r"\s+(?:các|những)\s", text[role.end : role.end + 8]):
                    i = role.last  # "Bộ trưởng các Bộ": a plural, not one person's post
                    continue
                best = (role.start, role.end, role.value.label, role.value, None, role.last)
            if best is None:
                i += 1
                continue
            start, end, label, value, org_key_, last = best
            key = register_post(analysis, self.g, label, value, org_key_)
            analysis.add_mention(Mention("post", start, end, key, text[start:end], "post"))
            while i < len(words) and words[i].start < end:
                i += 1


@Language.factory("kg_gazetteer", default_config={"data_dir": None})
def make_gazetteer(nlp: Language, name: str, data_dir: str | None) -> EntityFinder:
    return EntityFinder(default_gazetteers(data_dir))
