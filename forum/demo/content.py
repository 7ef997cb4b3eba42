"""The words demo data is made of: names, organisations, titles and comment text.

All of it is invented. Places are fictional so a demo organisation can never be mistaken for a
real one; names are common British first names and surnames put together at random.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words("""
Aaliyah Aaron Abdul Abigail Adam Adebayo Aisha Alan Alice Amara Amir Amy Andrew Angela Anil Anna
Arjun Barbara Ben Bethan Bilal Bronwen Callum Carla Catherine Chidi Chloe Chris Ciaran Claire
Daniel Darren Deepa Dylan Eilidh Elena Ellie Emeka Emily Eoin Fatima Femi Fiona Gareth Gemma
Grace Hamza Hannah Harpreet Helen Imran Isla Jack Jade James Jasmine Jaspreet Joanne Jordan
Joseph Kabir Karen Katie Kerry Kwame Laura Leah Lewis Liam Lucy Mairead Marcus Maria Mark Megan
Mei Michael Mohammed Nadia Naomi Neil Niamh Nikhil Olivia Omar Owen Paul Pooja Rachel Rhys Rosa
Ruth Ryan Safiya Sanjay Sarah Sean Shabnam Sian Simon Sophie Stephen Sunita Tariq Tom Tomasz
Uchenna Victoria Wei Yasmin Yusuf Zainab Zoe
""")

SURNAMES = _words("""
Adeyemi Ahmed Ali Allen Anderson Bailey Baker Banerjee Bell Bennett Brown Campbell Carter Chan
Chaudhry Clarke Collins Cooper Davies Desai Edwards Evans Fernandes Fisher Fletcher Foster
Gallagher Ghosh Gill Graham Green Griffiths Hall Harris Hughes Hussain Iqbal Jackson James
Jenkins Johnson Jones Kaur Kelly Khan King Kowalski Kumar Lee Lewis Li Lloyd MacDonald Malik
Martin Mensah Mistry Mitchell Moore Morgan Morris Murphy Murray Nowak Obi Okafor Okonkwo Owen
Parker Patel Phillips Price Quinn Rahman Reid Roberts Robinson Rossi Scott Shah Sharma Singh
Smith Stewart Taylor Thomas Thompson Turner Walker Walsh Ward Watson White Williams Wilson Wong
Wood Wright Yilmaz Young Zhang
""")

# Fictional places: demo organisations must never share a name with a real one.
PLACES = _words("""
Ashvale Brackenford Castlemere Dunmore Eastbrook Fernley Greywater Hallowfield Ironbridge
Kestrel_Bay Larkhill Marshwood Northfield Oakhampton Pennybridge Quarrydale Riverside Saltmarsh
Thornbury Upton_Vale Westmoor Whitcliffe Yarrowby
""")
PLACES = [place.replace("_", " ") for place in PLACES]

# Per stakeholder group: how many members in 100 belong to it, organisation name patterns and
# job titles.
GROUPS = {
    "nhs": (
        24,
        [
            "{place} Hospitals NHS Foundation Trust",
            "{place} Community Health NHS Trust",
            "{place} Mental Health NHS Trust",
        ],
        ["Consultant orthopaedic surgeon", "Elective care programme manager", "Ward sister", "Chief operating officer",
         "Diagnostics lead", "Physiotherapist", "Discharge coordinator", "Clinical director for surgery"],
    ),
    "independent": (
        14,
        ["{place} Surgical Centre", "{place} Diagnostics Partnership", "{place} Independent Hospital"],
        ["Hospital director", "Theatre manager", "NHS partnerships lead", "Head of clinical services",
         "Radiology services manager"],
    ),
    "icb": (
        10,
        ["NHS {place} Integrated Care Board"],
        ["Head of planned care commissioning", "Director of strategy", "Contracts manager",
         "Population health analyst"],
    ),
    "local_authority": (
        10,
        ["{place} County Council", "{place} City Council"],
        ["Director of adult social services", "Commissioning officer", "Public health consultant",
         "Strategic housing lead"],
    ),
    "social_care": (
        12,
        ["{place} Home Care Services", "{place} Care Homes Group", "{place} Supported Living"],
        ["Registered manager", "Care coordinator", "Operations director", "Senior carer"],
    ),
    "vcse": (
        10,
        ["{place} Carers Network", "{place} Community Transport Trust", "{place} Age Concern"],
        ["Chief executive", "Volunteer coordinator", "Policy and campaigns officer"],
    ),
    "patient_public": (
        16,
        ["Healthwatch {place}", "{place} Patient Participation Group"],
        ["Patient representative", "Carer", "Lay member", "Volunteer"],
    ),
    "other": (
        4,
        ["{place} University Health Research Unit"],
        ["Researcher", "Health economist", "Independent consultant"],
    ),
}

DECLARED_INTERESTS = [
    "I hold a part-time contract with an independent sector provider.",
    "My organisation receives grant funding from the local integrated care board.",
    "I sit on the board of a local charity that runs community transport.",
    "I am a shareholder in a company that supplies diagnostic equipment.",
]

TITLES = [
    "How do we bring waiting lists down without widening gaps?",
    "What would make shared theatre lists work in practice?",
    "Should diagnostic centres open in the evenings and at weekends?",
    "Who should decide how extra elective capacity is used locally?",
    "What did the pandemic teach us about working across sectors?",
    "Training surgeons in independent hospitals: what are the barriers?",
    "How can social care be at the table when capacity is planned?",
    "Measuring health inequalities in the waiting list",
    "Transport to community diagnostic centres for people without a car",
    "Can contracts reward partnership instead of activity?",
    "Discharge delays and the knock-on effect on planned surgery",
    "Mapping the patient journey from referral to recovery",
    "What should a regional plan for resilience include?",
    "Data sharing between providers: what is stopping it?",
    "How do we keep patients informed while they wait?",
    "Prehabilitation while people wait for surgery",
    "Workforce: rotating staff between NHS and independent sites",
    "Commissioning for the next five years: stability or competition?",
    "Local decisions, national targets: where is the balance?",
    "What would good engagement with patient groups look like?",
    "Should the independent sector take part in emergency planning?",
    "Community pharmacy and the waiting list",
    "Mental health support for people on long waits",
    "Rural access to planned care",
    "How do we make sure the most urgent cases are seen first?",
    "Pooling budgets between health and social care",
    "Lessons from the first surge hubs",
    "Capacity planning for winter and for planned care at once",
    "Patient choice when the nearest option is an independent hospital",
    "Evidence on outcomes: NHS and independent providers compared",
]

HOT_TITLE = "What should the next planning round change first?"

SENTENCES = [
    "Our waiting list for hip and knee replacements has grown by a third since the pandemic began.",
    "The independent hospital down the road had theatre time free on Fridays that nobody used.",
    "Patients tell us the hardest part is not knowing how long they will wait.",
    "We tried a shared booking list across two sites and it cut cancellations noticeably.",
    "Social care was told about the plan after it had been agreed, which is the wrong way round.",
    "Discharge is where the whole system either flows or gets stuck.",
    "Most of the delays we see start well before the referral letter is written.",
    "A single waiting list per specialty across the region would be fairer for patients.",
    "Trainees need protected time in high-volume centres, wherever those centres are.",
    "Diagnostic centres in shopping areas reach people who would never go to a hospital site.",
    "Without transport, an appointment twenty miles away is not really an offer at all.",
    "Contracts that pay per procedure do not reward anyone for keeping people well.",
    "We need data that shows who is waiting longest, broken down by deprivation.",
    "Local teams made good decisions quickly when they were trusted to do so.",
    "The rules that were relaxed during the crisis were relaxed for good reasons.",
    "Carers are often the ones who notice first when someone's condition gets worse on the list.",
    "Voluntary groups ran the phone lines that kept people in touch with their clinics.",
    "Workforce is the constraint; buildings and equipment come second.",
    "Staff moving between sites need the same induction, not three different ones.",
    "Planning for resilience means keeping some capacity free, which looks wasteful in a good year.",
    "Patient representatives should see the plan while it can still change.",
    "Commissioners need longer contracts to give providers the confidence to invest.",
    "Every organisation measures waiting differently, so comparisons are hard.",
    "Some of our longest waits are for follow-up appointments, not first ones.",
    "Prehabilitation classes improved recovery times in our pilot.",
    "People with learning disabilities were more likely to have their operations postponed.",
    "We should ask what patients value before deciding what to count.",
    "A shared care record would save hours of phone calls every week.",
    "Rural practices struggle to refer into centres that are a long bus ride away.",
    "The evidence on outcomes is mixed and depends heavily on case mix.",
    "Independent providers could take part in regional emergency planning from the start.",
    "Community pharmacies could help people manage pain while they wait.",
    "Mental health support for people waiting a long time is almost absent.",
    "Partnership boards work when the people around the table can make decisions.",
    "We need to stop treating social care as an afterthought in capacity planning.",
    "Evening and weekend clinics suit working people and their carers.",
    "A clear, honest letter about the wait is better than silence.",
    "Clinical prioritisation must be reviewed regularly, not set once and forgotten.",
    "The surge hubs showed what can be done when the barriers come down.",
    "Integrated care boards have a chance to plan for populations rather than institutions.",
    "Small charities cannot bid for contracts written for large providers.",
    "Shared training posts across sectors would help retain staff.",
    "The backlog is not one problem but hundreds of local ones.",
    "Patients should be told who is responsible for them while they wait.",
    "Money follows activity, but outcomes are what matter to people.",
    "We have to plan for the next crisis while we are still recovering from the last one.",
    "Digital tools help, but not everyone can or wants to use them.",
    "Home care hours are the hidden bottleneck behind delayed discharges.",
    "The independent sector's spare capacity is not evenly spread across the country.",
    "Agreed pathways across providers reduce the number of times people repeat their story.",
]

LIST_ITEMS = [
    "a single waiting list across providers",
    "transport for people without a car",
    "protected training time",
    "shared records between sites",
    "longer contracts",
    "regular clinical review of the list",
    "a named contact for each patient",
    "social care in the planning meeting",
    "evening and weekend clinics",
    "honest letters about waiting times",
    "funding for voluntary groups",
    "data broken down by deprivation",
]

QUESTIONS = [
    "Has anyone tried this somewhere else?",
    "What would it take to make this work in your area?",
    "Is there evidence either way?",
    "Who should lead on this?",
    "Would patients support it?",
    "What are we missing?",
]

LINKS = [
    ("the planning guidance", "https://www.england.nhs.uk/operational-planning-and-contracting/"),
    ("the King's Fund's analysis", "https://www.kingsfund.org.uk/"),
    ("Healthwatch's report on waiting", "https://www.healthwatch.co.uk/"),
]

EDIT_NOTE = "*Edited to add:* I have corrected the figures after checking them with our analyst."

HIDDEN_REASONS = [
    "Personal information about a patient.",
    "Personal remarks about another member.",
    "Advertising.",
]

MODERATOR = ("Morgan", "Reed", "other", "moderator")
FACILITATOR = ("Fran", "Okafor", "icb", "facilitator")
DEMO_MEMBER = ("Sam", "Patel", "nhs", "member")
