"""The blame guard: spotting where an observation names a frontline person, so the form can warn its author.

Observations are about processes, not people. The form warns (it never refuses) when the text seems to name
someone: a person on the roster, a name beside a role ("picker Anna", "Anna, our agent"), or "a guy
called Tom". Only capitalised words can be names, so the roster is asked only about the capitalised word
pairs in the text, in one query, and never read whole.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from rotation.extensions import db
from rotation.people.models import Person

BLAME_WARNING = ("This names {names}. Observations are about processes, not people: describe what the process "
                 "made them do, and leave the name out.")

ROLE_WORDS = frozenset({
    "agent", "rep", "representative", "advisor", "adviser", "colleague", "employee", "operator", "picker",
    "packer", "driver", "worker", "associate", "supervisor", "lead", "clerk", "cashier", "staff", "member",
})
# "member" is a role only in "team member".
# Words that say a person is meant, before "called" ("a guy called Tom"; not "the customer called DHL").
PERSON_WORDS = ROLE_WORDS | {"someone", "somebody", "guy", "lady", "woman", "man", "girl", "boy", "person",
                             "manager", "trainer", "trainee", "temp", "starter"}
# Words between a name and its role: "Anna, the picker", "Anna our new team lead".
APPOSITION = frozenset({"the", "our", "my", "a", "an", "their"})
# Lower-case words inside a name: "Ruud van der Berg", "Maria da Silva".
PARTICLES = frozenset({"van", "von", "der", "den", "de", "la", "le", "da", "di", "du", "del", "dos", "das", "bin"})

# Capitalised words that are not names: sentence starts, days and months, and the words of the trade.
COMMON = frozenset([
    "The", "A", "An", "And", "But", "Or", "So", "If", "When", "Then", "After", "Before", "While", "Because",
    "Since", "Although", "Though", "As", "At", "In", "On", "Of", "For", "To", "From", "With", "By", "About", "Into",
    "Over", "Under", "This", "That", "These", "Those", "There", "Here", "It", "Its", "I", "We", "They", "He", "She",
    "You", "Our", "My", "Their", "His", "Her", "Your", "Me", "Us", "Them", "Some", "Every", "Each", "All", "Any",
    "No", "Not", "Yes", "None", "One", "Two", "Three", "Four", "Five", "First", "Second", "Third", "Next", "Last",
    "Other", "Another", "Again", "Also", "Just", "Only", "Still", "Even", "Maybe", "Perhaps", "Most", "Many",
    "Several", "Sometimes", "Often", "Usually", "Always", "Never", "Later", "Now", "Once", "Finally", "Today",
    "Yesterday", "Tomorrow", "Tonight", "Morning", "Afternoon", "Evening", "Night", "Week", "Weekend", "Day",
    "Time", "Please", "Thanks", "Thank", "Hello", "Hi", "Sir", "Madam", "Mr", "Mrs", "Ms", "Miss", "Dr", "What",
    "Why", "How", "Who", "Where", "Which", "Whose", "Same", "Both", "Either", "Neither", "Instead", "Otherwise",
    "Meanwhile", "Overall", "Anyway", "Apparently", "Luckily", "Unfortunately", "Sadly", "Nobody", "Everyone",
    "Everybody", "Someone", "Somebody", "Anyone", "Nothing", "Everything", "Something", "Ask", "Asked", "Tell",
    "Told", "Call", "Called", "See", "Check", "Note", "Let", "Said", "Says", "Sorry", "Dear", "Welcome", "Okay",
    "OK", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
    "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Customer",
    "Customers", "Client", "Clients", "Caller", "Order", "Orders", "Return", "Returns", "Refund", "Refunds",
    "Exchange", "Delivery", "Deliveries", "Parcel", "Parcels", "Package", "Packages", "Invoice", "Invoices",
    "Billing", "Payment", "Payments", "Service", "Support", "Team", "Teams", "Shift", "Warehouse", "Site", "Store",
    "Shop", "Manager", "Management", "Office", "Head", "Quality", "Safety", "Inbound", "Outbound", "Picking",
    "Packing", "Stowing", "Stock", "Inventory", "Policy", "Process", "Customer-service", "Frontline", "Contact",
    "Centre", "Center", "Hub", "Leader", "Lead", "Supervisor", "Staff", "Agent", "Agents", "Employee", "Employees",
    "Operator", "Driver", "Worker", "Workers", "Colleague", "Colleagues", "Associate", "Associates", "Clerk",
    "Cashier", "Picker", "Pickers", "Packer", "Packers", "Rep", "Representative", "Advisor", "Adviser", "Member",
    "App", "Portal", "Tool", "Tools", "System", "Systems", "Console", "Desktop", "Screen", "Scanner", "Scanners",
    "Handheld", "Chat", "Email", "E-mail", "Mail", "Phone", "Phones", "Web", "Website", "Online", "Mobile",
    "Platform", "Dashboard", "Module", "Terminal", "Station", "Label", "Labels", "Printer", "Printers", "Queue",
    "Form", "Forms", "Macro", "Ticket", "Tickets", "Case", "Cases", "Account", "Accounts", "Checkout", "Basket",
    "Cart", "Prime", "Plus", "Pro", "Premium", "Express", "Standard", "Priority", "Gold", "Silver", "Excel",
    "Outlook", "Slack", "Zendesk", "Salesforce", "Jira", "Kindle", "Android", "Windows", "Google", "Microsoft",
    "Apple", "Amazon", "Assist", "Assistant", "Bot", "Robot", "Copilot", "Helper", "Truck", "Forklift", "Tablet",
])

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_BREAK = re.compile(r"[.!?;:\n\r]")
# Words that title case often leaves in lower case.
_SMALL_WORDS = frozenset({"with", "from", "into", "onto", "over", "than", "that", "this", "when", "upon"})
MAX_LOOKUPS = 400  # full names asked about at most, however long the text
MAX_FIRST_NAMES = 5  # first names asked about at most: each is a search through the roster
MAX_NAME_WORDS = 3


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int
    gap: str  # what stands between this word and the one before it

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper() and not (len(self.text) > 1 and self.text.isupper())

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def could_be_name(self) -> bool:
        # "I'm" and "Customer's" are their first part; "O'Brien" stays a name.
        return self.capitalised and re.split(r"['’]", self.text)[0] not in COMMON


@dataclass(frozen=True)
class _Found:
    name: str
    start: int
    end: int


def names_in(text: str) -> list[str]:
    """The people ``text`` seems to name, unique, in the order they appear. At most two small queries."""
    found: list[_Found] = []
    full_names: list[_Found] = []
    near_roles: list[_Word] = []
    for words in _sentences(text):
        full_names.extend(_capitalised_runs(words))
        if _title_case(words):
            continue  # "Agent Tool Broken Again": capitals carry no meaning here
        found.extend(_beside_a_role(words))
        found.extend(_named_or_called(words))
        near_roles.extend(_single_names_near_a_role(words))
    found.extend(_on_the_roster(full_names))
    found.extend(_roster_first_names(near_roles, found))
    return _unique(found)


def blame_message(names: list[str]) -> str | None:
    """The warning the form shows for ``names``; None when there are none."""
    if not names:
        return None
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return BLAME_WARNING.format(names=listed)


# --- Reading the text -------------------------------------------------------------------------------------

def _sentences(text: str) -> list[list[_Word]]:
    sentences: list[list[_Word]] = [[]]
    previous_end = 0
    for match in _WORD.finditer(text):
        gap = text[previous_end:match.start()]
        if _SENTENCE_BREAK.search(gap) and sentences[-1]:
            sentences.append([])
        sentences[-1].append(_Word(match.group(), match.start(), match.end(), gap))
        previous_end = match.end()
    return [words for words in sentences if words]


def _title_case(words: list[_Word]) -> bool:
    """Every word that matters starts with a capital ("Lead Time For Refund Agents Is Too Long")."""
    long_words = [word for word in words if len(word.text) >= 4 and word.lower not in _SMALL_WORDS]
    return len(long_words) >= 3 and all(word.capitalised for word in long_words)


def _joined(words: list[_Word]) -> str:
    """The words as one name, without a possessive ("Anna's" is Anna)."""
    return re.sub(r"['’]s$", "", " ".join(word.text for word in words))


def _name_at(words: list[_Word], index: int) -> list[_Word]:
    """The name starting at ``index`` (up to three words, particles allowed inside), or nothing."""
    if index >= len(words) or not words[index].could_be_name:
        return []
    name = [words[index]]
    position = index + 1
    while position < len(words) and len(name) < MAX_NAME_WORDS and words[position].gap.strip() == "":
        word = words[position]
        if word.could_be_name:
            name.append(word)
        elif (word.text in PARTICLES and position + 1 < len(words) and words[position + 1].could_be_name
              and words[position + 1].gap.strip() == ""):
            name.extend([word, words[position + 1]])
            position += 1
        else:
            break
        position += 1
    return name


def _role_ends_at(words: list[_Word], index: int) -> bool:
    """Whether a role word ends at ``index`` ("picker", "team member")."""
    if index < 0 or words[index].lower not in ROLE_WORDS:
        return False
    return words[index].lower != "member" or (index > 0 and words[index - 1].lower == "team")


def _is_role(word: _Word) -> bool:
    lower = word.lower
    return lower in ROLE_WORDS - {"member"} or (lower.endswith("s") and lower[:-1] in ROLE_WORDS - {"member"})


# --- The patterns ---------------------------------------------------------------------------------------------

def _beside_a_role(words: list[_Word]) -> list[_Found]:
    """ "picker Anna", "our agent, Anna Virtanen" and "Anna the picker", "Anna, our new team lead", "Anna
    (packer)"."""
    found = []
    for index, word in enumerate(words):
        if not word.could_be_name or (index > 0 and words[index - 1].could_be_name
                                      and words[index].gap.strip() == ""):
            continue
        name = _name_at(words, index)
        before = index - 1
        if before >= 0 and _role_ends_at(words, before) and word.gap.strip() in ("", ",", "("):
            found.append(_Found(_joined(name), name[0].start, name[-1].end))
            continue
        after = index + len(name)
        if after < len(words) and words[after].gap.strip() in ("", ",", "(") and _role_follows(words, after):
            found.append(_Found(_joined(name), name[0].start, name[-1].end))
    return found


def _role_follows(words: list[_Word], index: int) -> bool:
    """A role at ``index`` ("Anna, picker", "Anna (picker)"), or "the", "our" … and a role within three words
    ("Anna the picker", "Anna (our new team lead)")."""
    if words[index].gap.strip() in (",", "(") and _is_role(words[index]):
        return True
    if words[index].lower not in APPOSITION:
        return False
    for position in range(index + 1, min(index + 4, len(words))):
        if words[position].gap.strip():
            return False
        if _role_ends_at(words, position):
            return True
    return False


def _named_or_called(words: list[_Word]) -> list[_Found]:
    """ "a new starter named Anna"; "a guy called Tom" (but not "the customer called Tuesday")."""
    found = []
    for index, word in enumerate(words[:-1]):
        if word.lower == "called" and not any(
                earlier.lower in PERSON_WORDS or _is_role(earlier) for earlier in words[max(0, index - 3):index]):
            continue
        if word.lower in ("named", "called") and word.text.islower() and words[index + 1].gap.strip() == "":
            name = _name_at(words, index + 1)
            if name:
                found.append(_Found(_joined(name), name[0].start, name[-1].end))
    return found


def _single_names_near_a_role(words: list[_Word]) -> list[_Word]:
    """Capitalised words within four words of a role ("Anna, one of the pickers"): first names, perhaps."""
    roles = [index for index, word in enumerate(words) if _is_role(word)]
    return [word for index, word in enumerate(words)
            if word.could_be_name and any(0 < abs(index - role) <= 4 for role in roles)]


# --- The roster -------------------------------------------------------------------------------------------

def _capitalised_runs(words: list[_Word]) -> list[_Found]:
    """Every run of two to four capitalised words (particles allowed inside): full names, perhaps."""
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    for word in words:
        joins = word.gap.strip() == "" and bool(current)
        if word.capitalised or (word.text in PARTICLES and joins):
            if not joins:
                if current:
                    runs.append(current)
                current = []
            current.append(word)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    candidates = []
    for run in runs:
        for start in range(len(run)):
            if not run[start].capitalised:
                continue
            for size in (2, 3, 4):
                part = run[start:start + size]
                if len(part) == size and part[-1].capitalised:
                    candidates.append(_Found(_joined(part), part[0].start, part[-1].end))
    return candidates


def _on_the_roster(candidates: list[_Found]) -> list[_Found]:
    """The candidates that are the full name of an active person, in one query."""
    asked = list(dict.fromkeys(candidate.name for candidate in candidates))[:MAX_LOOKUPS]
    if not asked:
        return []
    known = set(db.session.scalars(sa.select(Person.full_name).where(
        Person.full_name.in_(asked), Person.is_active.is_(True)).distinct()))
    return [candidate for candidate in candidates if candidate.name in known]


def _roster_first_names(words: list[_Word], found: list[_Found]) -> list[_Found]:
    """The capitalised words near a role that are the first name of an active person, in one query."""
    covered = [(item.start, item.end) for item in found]
    words = [word for word in words if not any(start <= word.start < end for start, end in covered)]
    asked = list(dict.fromkeys(_joined([word]) for word in words))[:MAX_FIRST_NAMES]
    if not asked:
        return []
    checks = [sa.exists().where(Person.is_active.is_(True),
                                Person.full_name.like(_like_escaped(name) + " %", escape="\\")).label(f"n{n}")
              for n, name in enumerate(asked)]
    answers = db.session.execute(sa.select(*checks)).one()
    known = {name for name, answer in zip(asked, answers, strict=True) if answer}
    return [_Found(_joined([word]), word.start, word.end) for word in words if _joined([word]) in known]


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _unique(found: list[_Found]) -> list[str]:
    """Names in text order; a name inside a longer one found at the same place counts once."""
    kept: list[_Found] = []
    for item in sorted(found, key=lambda item: (item.start, -(item.end - item.start))):
        if any(other.start <= item.start and item.end <= other.end for other in kept):
            continue
        kept.append(item)
    return list(dict.fromkeys(item.name for item in kept))
