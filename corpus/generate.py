#!/usr/bin/env python3
"""assay's corpus generator for the SVM document classifier.

Writes DOCS documents per category (SPEC "SVM categories") under
OUT/{train,test}/<category>/, a quarter of them to test. Every document is
made here from the project's own word lists, grammars and format
knowledge (each format written from its public description); no
third-party text is copied in. Seeded: the same seed gives the same bytes.

    python3 corpus/generate.py --out corpus/data [--seed 20261128] [--docs 400]
"""

import argparse
import base64
import json
import os
import random
import string

# ---------------------------------------------------------------- words

NOUNS = """account address agreement analysis answer area army art attention authority
balance bank base basis bed bill bird board body book border box branch bridge budget
building business button cable camera capital car card case cash cause center chain
chair chance change channel chapter charge child choice church circle city claim class
client clock cloud club coast code coffee college color column committee company
computer condition contract control corner cost council country county course court
cover credit crowd culture cup customer cycle damage data date daughter deal debt
decision degree delivery demand department design desk detail device director
discount disease distance district doctor document door dream driver economy edge
effect effort election energy engine engineer entry environment error estate event
evidence exchange exercise experience expert face factor failure family farm father
feature fee field figure file film finance fire firm fish floor flight flower focus
food force forest form fortune frame freedom friend fruit fuel function fund future
game garden gas gate glass goal gold government grade grain grant ground group growth
guard guest guide habit hair half hall hand harbour head health heart heat height
highway history holiday home horse hospital hotel hour house image impact income index
industry influence injury input insurance interest invoice island issue item journey
judge key kitchen knowledge lab lake land language law lawyer layer leader league
letter level library license light limit line link list loan lock machine manager
map margin market master match material meal measure meeting member memory message
metal method middle mile mind minute mirror model moment money month morning mother
motor mountain movement music name nation nature network news night noise north note
notice number object office officer oil order output owner package page pain paint
pair paper parent park part partner party passenger path patient pattern payment
peace pension period permit person phone picture piece pilot plan plane plant plate
platform player pocket point police policy pool population port position post pound
power practice premium presence president pressure price principle printer prison
problem process product profit program project property proposal protein pupil
quality quarter question queue radio rail rain range rate reader reason record region
report request research reserve resource response result return revenue review reward
river road rock role roof room route row rule safety salary sale sample scale scene
schedule school science score screen sea season seat second secret section sector
security seed seller sense series server service session share ship shop shore
signal silver sister site size skill sky sleep slope society software soil soldier
solution song sound source south space speaker speech speed spirit sport spring
square staff stage standard star state station status step stock stone store storm
story strategy street strength stress structure student studio style subject success
sugar summer supply surface survey system table target task tax teacher team
technology temperature term test text theory thing thought ticket time title tool
topic total tower town track trade traffic train transfer travel treatment tree trial
trip truck trust truth union unit university user valley value van vehicle version
view village visit voice volume wall war warning water wave way wealth weather week
weight west wheel window wine winter witness woman wood word work worker world writer
yard year youth zone""".split()

VERBS = """accept achieve add agree allow announce answer appear apply argue arrange arrive
ask attack attend avoid bear beat become begin believe belong break bring build burn
buy call carry catch cause change charge check choose claim clean climb close collect
come compare complain complete consider contain continue cook count cover create cross
cut deal decide deliver demand depend describe design destroy develop die discover
discuss divide draw dream drink drive drop earn eat enjoy enter escape examine exist
expect explain express face fail fall feed feel fight fill find finish fly follow
force forget forgive form gather give grow guess handle hang happen hate hear help
hide hit hold hope hurry identify imagine improve include increase indicate inform
insist intend introduce invite join jump keep kill knock know land last laugh lay lead
learn leave lend let lie lift like listen live look lose love maintain make manage
mark marry matter mean measure meet mention mind miss move need notice obtain occur
offer open order organise own paint pass pay perform pick place plan play point
prefer prepare present press prevent produce promise protect prove provide publish
pull push raise reach read realise receive recognise record reduce refer reflect
refuse relate release remain remember remove repeat replace reply report represent
require rest return reveal ride ring rise roll run save say search see seek seem sell
send serve set settle shake share shoot show shut sing sink sit sleep smile solve
sound speak spend stand start stay steal stick stop study succeed suffer suggest
supply support suppose survive take talk teach tear tell tend test thank think throw
touch train travel treat trust try turn understand use visit wait walk want warn wash
watch wear win wish wonder work worry write""".split()

ADJECTIVES = """able active actual afraid ancient angry annual anxious available aware bad basic
beautiful big bitter black blind blue bold brave brief bright broad broken brown busy
calm capable careful central certain cheap chief civil clean clear clever close cold
common complete complex constant cool correct crazy critical cruel curious current
dark dead deep definite delicate dense direct dirty distant divine double dry due
eager early eastern easy efficient elderly empty entire equal essential even exact
excellent exciting expensive external extra fair false familiar famous far fast fat
final fine firm flat fond foreign formal free fresh friendly full funny general
gentle genuine giant glad global golden good grand grateful great green grey gross
guilty happy hard heavy helpful hidden high honest hot huge human hungry ideal ill
immediate important independent initial inner innocent internal joint junior just
keen kind large late lazy legal light likely little live local lonely long loose loud
lovely low loyal lucky mad main major male massive mature medical mental mere mild
minor modern moral narrow national native natural near neat necessary nervous new
nice noble normal northern numerous obvious odd official old open opposite ordinary
original other outer pale parallel patient peaceful perfect permanent personal plain
pleasant polite poor popular positive possible powerful practical precious present
previous primary private proper proud public pure quick quiet rapid rare raw ready
real recent red regular relevant remote rich right rough round royal rural sad safe
secret secure senior separate serious severe sharp short shy silent silly simple
single slow small smart smooth soft solid sorry southern special specific square
stable steady steep strange strict strong stupid sudden sufficient sweet tall tender
thick thin tiny total tough traditional true typical ugly unable unique united upper
urban useful usual vague valid various vast violent visible vital warm weak wealthy
western white whole wide wild wise wonderful wooden working worried wrong young""".split()

FIRST_NAMES = """Aaron Abigail Adrian Agnes Ahmed Aisha Alan Alba Alice Amara Amir Ana Andrea
Anton Arjun Astrid Aurora Beatriz Benedikt Bianca Bjorn Bruno Camille Carlos Carmen
Chen Chiara Chloe Dmitri Elena Elif Emeka Emil Emma Enzo Erik Esther Fatima Felix
Freya Gabriel Grace Hannah Hiro Ines Ingrid Isaac Ivan Jamal Jana Javier Jin Joao
Jonas Julia Kai Karim Kate Kenji Lars Laura Leila Leon Liam Lin Lucia Luis Maja Malik
Marco Maria Mateo Mei Mia Mikhail Nadia Naomi Nils Noah Nora Olga Omar Oscar Paula
Pedro Priya Rafael Rania Ravi Rosa Ruth Sami Sara Sofia Sven Tariq Tomas Uma Valentina
Victor Wei Yara Yusuf Zara Zoe""".split()

LAST_NAMES = """Abbott Adeyemi Alvarez Andersen Bauer Becker Bianchi Brennan Carter Castillo Chen
Costa Dahl Das Dubois Eriksen Fernandes Fischer Fontaine Garcia Gomez Gupta Hansen
Hartmann Hoffmann Ibrahim Ivanova Jansen Jensen Kaur Keller Khan Kim Kowalski Kruger
Larsen Laurent Lee Lindqvist Lopez Marino Martin Mendes Meyer Moreau Muller Nakamura
Novak Nowak Okafor Olsen Ortiz Park Patel Perez Petrov Popescu Quinn Ramos Reyes Ricci
Rossi Sato Schmidt Schneider Silva Singh Smith Sorensen Suzuki Svensson Tanaka Torres
Vargas Vogel Wagner Walsh Wang Weber Wilson Wong Yamamoto Young Zhang Zimmermann""".split()

CITIES = """Aarhus Adelaide Austin Barcelona Bergen Bilbao Bologna Bristol Brno Calgary
Cork Curitiba Dresden Dublin Durban Eindhoven Fresno Galway Ghent Graz Hamburg Helsinki
Krakow Leeds Leipzig Lille Linz Lisbon Lyon Malmo Melbourne Montreal Munich Nantes
Osaka Oslo Porto Quebec Riga Rotterdam Seville Tampere Toulouse Turin Utrecht
Valencia Vilnius Wellington Winnipeg Zagreb Zurich""".split()

STREETS = "Oak Maple Cedar Harbour Mill Station Church Bridge River Park Queen King Elm Lake Hill".split()
# The commonest words of English prose, and the words of two registers:
# technical documentation and narrative (books). Running text that only
# mixed nouns, verbs and adjectives looked alike in every category, so a
# book and a manual differed by layout alone.
FUNCTION_WORDS = """the the the of of and and to to a a in in is it that for as with was on be by
this are or not at from but an which have can if will you one all has there when so no more also
into than only other its such may some these then what would about""".split()
REGISTERS = {
    "technical": """function module class method argument arguments parameter value values return
returns default option options file files path directory string strings list dictionary object
objects instance type types error errors exception module modules package install installed version
versions release feature features support interface library code example examples call calls
attribute attributes variable variables configuration setting settings command line output input
buffer stream encoding format syntax expression statement loop import thread process socket request
response server client handler callback event test tests documentation section table index key data
record field query header message log level name number integer float boolean byte bytes character
unicode pattern regular match compile run execute raise new old change changes added removed
deprecated behaviour implementation standard platform system user users developer application
program programs script interpreter compiler source binary build tool tools python use used using
now previously instead should must returned passed specified optional keyword built-in""".split(),
    "narrative": """he she his her him they them their was had were said would could looked thought
felt saw came went heard knew turned eyes face hand hands door room house window night day morning
evening man woman old young little long dark light heart voice moment again upon there away back
down toward silence father mother sister brother friend lady sir king queen garden road fire sea
sky smiled cried answered herself himself myself never nothing something everything whom own
poor dear good great quite very""".split(),
}
DOMAINS = "example.com example.org example.net mail.example northwind.example contoso.example fabrikam.example".split()
COMPANIES = "Northwind Contoso Fabrikam Tailspin Litware Proseware Adatum Woodgrove Fourth-Coffee Wingtip Lucerne Margie".split()


class Gen:
    """Random building blocks for every category."""

    def __init__(self, rng):
        self.r = rng
        # The vocabulary of running text: None for the general word lists,
        # or a key of REGISTERS (set by `in_register` for one document).
        self.register = None

    def pick(self, seq):
        return self.r.choice(seq)

    def n(self, lo, hi):
        return self.r.randint(lo, hi)

    def chance(self, p):
        return self.r.random() < p

    def word(self):
        return self.pick(NOUNS + VERBS + ADJECTIVES)

    def name(self):
        return f"{self.pick(FIRST_NAMES)} {self.pick(LAST_NAMES)}"

    def email(self, name=None):
        name = name or self.name()
        first, last = name.lower().split(" ", 1)
        style = self.n(0, 3)
        local = [f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}", f"{last}{self.n(1, 99)}"][style]
        return f"{local}@{self.pick(DOMAINS)}"

    def sentence(self, lo=6, hi=18):
        if self.register:
            return self.register_sentence(lo, hi)
        words = []
        for _ in range(self.n(lo, hi)):
            kind = self.r.random()
            if kind < 0.45:
                words.append(self.pick(NOUNS))
            elif kind < 0.7:
                words.append(self.pick(VERBS) + self.pick(["", "", "s", "ed", "ing"]))
            elif kind < 0.85:
                words.append(self.pick(ADJECTIVES))
            else:
                words.append(self.pick(["the", "a", "of", "to", "and", "in", "with", "for", "on", "by", "from", "that", "is", "was"]))
        text = " ".join(words)
        if len(words) > 3 and self.chance(0.2):
            cut = self.n(2, len(words) - 1)
            text = " ".join(words[:cut]) + ", " + " ".join(words[cut:])
        return text[0].upper() + text[1:] + self.pick([".", ".", ".", ".", "?", "!"])

    def register_sentence(self, lo, hi):
        """A sentence in the document's register: English's function words
        as often as real prose has them, the register's own words, and
        some general words; technical prose names code in-line now and then."""
        vocabulary = REGISTERS[self.register]
        words = []
        for _ in range(self.n(lo, hi)):
            kind = self.r.random()
            if kind < 0.38:
                words.append(self.pick(FUNCTION_WORDS))
            elif kind < 0.78:
                words.append(self.pick(vocabulary))
            elif kind < 0.9:
                words.append(self.pick(NOUNS))
            elif kind < 0.96 or self.register != "technical":
                words.append(self.pick(VERBS) + self.pick(["", "s", "ed"]))
            else:
                words.append(self.pick([f"{self.ident('snake')}()", f"``{self.ident('snake')}``", f"'{self.word()}'", f"{self.pick(NOUNS)}.{self.ident('snake')}", f"--{self.pick(NOUNS)}"]))
        text = " ".join(words)
        if len(words) > 5 and self.chance(0.35):
            cut = self.n(2, len(words) - 2)
            text = " ".join(words[:cut]) + self.pick([",", ",", ";", " --"]) + " " + " ".join(words[cut:])
        return text[0].upper() + text[1:] + self.pick([".", ".", ".", ".", ".", "?", "!" if self.register == "narrative" else ":"])

    def paragraph(self, lo=2, hi=7):
        return " ".join(self.sentence() for _ in range(self.n(lo, hi)))

    def date(self):
        return f"{self.n(2015, 2026)}-{self.n(1, 12):02d}-{self.n(1, 28):02d}"

    def time(self):
        return f"{self.n(0, 23):02d}:{self.n(0, 59):02d}:{self.n(0, 59):02d}"

    def ip(self):
        return f"{self.pick([10, 172, 192, 203, 198, 81, 93, 151])}.{self.n(0, 255)}.{self.n(0, 255)}.{self.n(1, 254)}"

    def hexs(self, k):
        return "".join(self.pick("0123456789abcdef") for _ in range(k))

    def ident(self, style=None):
        parts = [self.pick(NOUNS + VERBS) for _ in range(self.n(1, 3))]
        style = style or self.pick(["snake", "camel", "pascal"])
        if style == "snake":
            return "_".join(parts)
        if style == "camel":
            return parts[0] + "".join(p.title() for p in parts[1:])
        if style == "upper":
            return "_".join(parts).upper()
        return "".join(p.title() for p in parts)

    def amount(self, lo=1, hi=100000):
        return f"{self.r.uniform(lo, hi):,.2f}"

    def address(self):
        return f"{self.n(1, 250)} {self.pick(STREETS)} {self.pick(['Street', 'Road', 'Avenue', 'Lane', 'Way'])}, {self.pick(CITIES)}"

    def phone(self):
        return self.pick([f"+1 {self.n(200, 999)}-{self.n(200, 999)}-{self.n(1000, 9999)}",
                          f"+44 20 {self.n(1000, 9999)} {self.n(1000, 9999)}",
                          f"({self.n(200, 999)}) {self.n(200, 999)}-{self.n(1000, 9999)}",
                          f"+49 {self.n(30, 89)} {self.n(100000, 9999999)}"])

    def b64(self, nbytes):
        return base64.b64encode(bytes(self.n(0, 255) for _ in range(nbytes))).decode()


# ------------------------------------------------------------- categories

def ebook(g):
    title = " ".join(w.title() for w in [g.pick(ADJECTIVES), g.pick(NOUNS)] + ([g.pick(["of", "and", "in"]), g.pick(NOUNS)] if g.chance(0.5) else []))
    author = g.name()
    out = []
    style = g.n(0, 3)
    if style == 0:
        out += [title.upper(), "", f"by {author}", "", f"Copyright (c) {g.n(1990, 2026)} {author}. All rights reserved.",
                f"ISBN {g.n(100, 999)}-{g.n(0, 9)}-{g.n(1000, 9999)}-{g.n(1000, 9999)}-{g.n(0, 9)}", "", "CONTENTS", ""]
    elif style == 1:
        out += [f"# {title}", "", f"*{author}*", ""]
    elif style == 2:
        out += [f"{title}", f"A novel by {author}", "", f"First edition, {g.n(1950, 2026)}", f"Published by {g.pick(COMPANIES)} Press", ""]
    else:
        out += [f"<?xml version='1.0' encoding='utf-8'?>", "<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\">",
                f"<head><title>{title}</title></head>", "<body>", f"<section epub:type=\"chapter\">"]
    chapters = g.n(1, 6)
    if style == 0:
        out += [f"  Chapter {i + 1}. {g.pick(ADJECTIVES).title()} {g.pick(NOUNS).title()}" for i in range(chapters)] + [""]
    names = [g.pick(FIRST_NAMES) for _ in range(3)]
    for c in range(chapters):
        head = g.pick([f"Chapter {c + 1}", f"CHAPTER {['I', 'II', 'III', 'IV', 'V', 'VI', 'VII'][c]}", f"## Chapter {c + 1}: {g.pick(NOUNS).title()}", f"{c + 1}."])
        out += [f"<h2>{head}</h2>" if style == 3 else head, ""]
        for _ in range(g.n(3, 9)):
            if g.chance(0.35):
                who = g.pick(names)
                line = f"\u201c{g.sentence(4, 12)}\u201d {who} {g.pick(['said', 'asked', 'whispered', 'replied', 'shouted'])}. {g.sentence()}"
                if g.chance(0.5):
                    line = line.replace("\u201c", '"').replace("\u201d", '"')
            else:
                line = g.paragraph(3, 8)
            out += [f"<p>{line}</p>" if style == 3 else line, ""]
    if style == 3:
        out += ["</section>", "</body>", "</html>"]
    elif g.chance(0.4):
        out += ["THE END" if g.chance(0.5) else "* * *", ""]
    return "\n".join(out), g.pick(["txt", "txt", "md", "xhtml" if style == 3 else "txt", "text"])


def email(g):
    sender, to = g.name(), g.name()
    h = [f"From: {sender} <{g.email(sender)}>", f"To: {to} <{g.email(to)}>"]
    if g.chance(0.3):
        h.append(f"Cc: {g.email()}")
    subject = g.sentence(3, 7).rstrip(".?!")
    reply = g.chance(0.3)
    h.append(f"Subject: {'Re: ' if reply else ''}{'Fwd: ' if g.chance(0.1) else ''}{subject}")
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    h.append(f"Date: {g.pick(days)}, {g.n(1, 28)} {g.pick(months)} {g.n(2015, 2026)} {g.time()} {g.pick(['+0000', '-0500', '+0100', '+0200', '-0800'])}")
    h.append(f"Message-ID: <{g.hexs(16)}.{g.n(1000, 99999)}@{g.pick(DOMAINS)}>")
    if reply:
        h.append(f"In-Reply-To: <{g.hexs(12)}@{g.pick(DOMAINS)}>")
    if g.chance(0.5):
        h.append("MIME-Version: 1.0")
    if g.chance(0.3):
        h.insert(0, f"Received: from mx{g.n(1, 9)}.{g.pick(DOMAINS)} ([{g.ip()}]) by mail.{g.pick(DOMAINS)} with ESMTPS id {g.hexs(10)}; {g.pick(days)}, {g.n(1, 28)} {g.pick(months)} {g.n(2015, 2026)} {g.time()} +0000")
        h.insert(0, f"Return-Path: <{g.email(sender)}>")
    if g.chance(0.2):
        h.append(f"X-Mailer: {g.pick(['Thunderbird', 'Outlook', 'Apple Mail', 'mutt'])} {g.n(1, 120)}.{g.n(0, 9)}")
    if g.chance(0.4):
        extra = [f"Received: from {g.pick(NOUNS)}.{g.pick(DOMAINS)} (localhost [127.0.0.1])\n\tby {g.pick(NOUNS)}.{g.pick(DOMAINS)} (Postfix) with ESMTP id {g.hexs(8).upper()}\n\tfor <{g.email(to)}>; {g.pick(days)}, {g.n(1, 28)} {g.pick(months)} {g.n(2015, 2026)} {g.time()} +0000 (UTC)",
                 f"X-Spam-Status: No, score={g.r.uniform(-5, 5):.1f} required=5.0", f"X-Original-To: {g.email(to)}", f"Delivered-To: {g.email(to)}",
                 f"Sender: {g.email()}", f"Reply-To: {g.email(sender)}", f"Precedence: {g.pick(['bulk', 'list'])}", f"List-Id: <{g.pick(NOUNS)}.{g.pick(DOMAINS)}>",
                 f"Errors-To: {g.email()}", f"X-Priority: {g.n(1, 5)}", "Content-Transfer-Encoding: 7bit", f"Organization: {g.pick(COMPANIES)}",
                 f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={g.pick(DOMAINS)}; s=selector1;\n\th=from:to:subject:date; bh={g.b64(32)};\n\tb={g.b64(48)}"]
        for header in g.r.sample(extra, g.n(1, 6)):
            h.insert(g.n(0, len(h)), header)
    if g.chance(0.25):
        # headers only, or a short notice: many real messages are mostly headers
        return "\n".join(h) + "\n\n" + g.sentence(2, 8) + "\n", g.pick(["eml", "txt", "msg"])
    greeting = g.pick([f"Hi {to.split()[0]},", f"Dear {to},", f"Hello {to.split()[0]}", f"{to.split()[0]} -", "Hi all,"])
    body = [greeting, ""] + [g.paragraph(1, 4) + "\n" for _ in range(g.n(1, 4))]
    body += [g.pick(["Thanks,", "Best regards,", "Cheers,", "Kind regards,", "--"]), sender.split()[0]]
    if reply:
        body += ["", f"On {g.date()} at {g.time()[:5]}, {to} <{g.email(to)}> wrote:"] + ["> " + g.sentence() for _ in range(g.n(2, 6))]
    text = "\n".join(body)
    if g.chance(0.35):
        boundary = f"----=_Part_{g.n(1000, 99999)}_{g.hexs(8)}"
        h.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        html = "<html><body>" + "".join(f"<p>{l}</p>" for l in text.split("\n") if l) + "</body></html>"
        parts = [f"--{boundary}", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 7bit", "", text, "",
                 f"--{boundary}", "Content-Type: text/html; charset=UTF-8", "", html, f"--{boundary}--"]
        text = "This is a multi-part message in MIME format.\n\n" + "\n".join(parts)
    else:
        h.append(g.pick(["Content-Type: text/plain; charset=UTF-8", "Content-Type: text/plain; charset=\"us-ascii\"", "Content-Type: text/plain; format=flowed"]))
    doc = "\n".join(h) + "\n\n" + text + "\n"
    if g.chance(0.15):
        doc = f"From {g.email(sender)} {g.pick(days)} {g.pick(months)} {g.n(1, 28)} {g.time()} {g.n(2015, 2026)}\n" + doc
    return doc, g.pick(["eml", "eml", "msg", "txt", "mbox", "email"])


def pem(label, body):
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def encryption_keys(g):
    kind = g.n(0, 8)
    if kind == 0:
        return pem("RSA PRIVATE KEY", g.b64(g.pick([1190, 1218, 2349, 2375]))), g.pick(["pem", "key", "rsa", ""])
    if kind == 1:
        return pem("PRIVATE KEY", g.b64(g.pick([138, 1217, 2374, 48]))), g.pick(["pem", "key", "p8"])
    if kind == 2:
        return pem("EC PRIVATE KEY", g.b64(g.pick([121, 167, 223]))), g.pick(["pem", "key", "ec"])
    if kind == 3:
        return pem("OPENSSH PRIVATE KEY", g.b64(g.pick([402, 1823, 2602, 3380]))).replace("\n", "\n", 1), g.pick(["", "", "key"])
    if kind == 4:
        name = g.pick(["rsa", "ed25519", "ecdsa-sha2-nistp256"])
        out = [f"PuTTY-User-Key-File-{g.pick([2, 3])}: ssh-{name}", f"Encryption: {g.pick(['none', 'aes256-cbc'])}",
               f"Comment: {g.pick(['rsa-key', 'imported-openssh-key', g.email()])}-{g.date().replace('-', '')}"]
        pub = g.b64(g.pick([51, 279, 535]))
        priv = g.b64(g.pick([48, 1200, 656]))
        out.append(f"Public-Lines: {len(pub) // 64 + 1}")
        out += [pub[i:i + 64] for i in range(0, len(pub), 64)]
        out.append(f"Private-Lines: {len(priv) // 64 + 1}")
        out += [priv[i:i + 64] for i in range(0, len(priv), 64)]
        out.append(f"Private-MAC: {g.hexs(40 if g.chance(0.5) else 64)}")
        return "\n".join(out) + "\n", "ppk"
    if kind == 5:
        body = g.b64(g.pick([900, 1700, 3500]))
        out = ["-----BEGIN PGP PRIVATE KEY BLOCK-----"]
        if g.chance(0.5):
            out.append(f"Version: GnuPG v{g.n(1, 2)}")
        out.append("")
        out += [body[i:i + 64] for i in range(0, len(body), 64)]
        out += [f"={g.b64(3)}", "-----END PGP PRIVATE KEY BLOCK-----"]
        return "\n".join(out) + "\n", g.pick(["asc", "gpg", "key", "pgp"])
    if kind == 6:
        return pem("CERTIFICATE", g.b64(g.pick([780, 1100, 1400]))) * g.n(1, 3), g.pick(["crt", "pem", "cer"])
    if kind == 7:
        return pem("ENCRYPTED PRIVATE KEY", g.b64(g.pick([1298, 2446, 250]))), g.pick(["pem", "key"])
    lines = [f"{g.pick(['ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256'])} {g.b64(g.pick([51, 279, 104]))} {g.email()}" for _ in range(g.n(1, 6))]
    return "\n".join(lines) + "\n", g.pick(["pub", "", "keys"])


def financial(g):
    company = g.pick(COMPANIES) + " " + g.pick(["Inc.", "Corporation", "Holdings plc", "GmbH", "Ltd", "S.A."])
    kind = g.n(0, 5)
    if kind == 0:
        year = g.n(2010, 2026)
        out = ["UNITED STATES", "SECURITIES AND EXCHANGE COMMISSION", "Washington, D.C. 20549", "", f"FORM {g.pick(['10-K', '10-Q', '8-K', '20-F', 'S-1'])}", "",
               f"ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934", f"For the fiscal year ended December 31, {year}", "",
               f"Commission file number {g.n(0, 9)}{g.n(100, 999)}-{g.n(10000, 99999)}", company, ""]
        for item in g.r.sample(["Item 1. Business", "Item 1A. Risk Factors", "Item 7. Management's Discussion and Analysis of Financial Condition and Results of Operations",
                                "Item 7A. Quantitative and Qualitative Disclosures About Market Risk", "Item 8. Financial Statements and Supplementary Data", "Item 9A. Controls and Procedures"], g.n(2, 4)):
            out += [item, "", g.paragraph(2, 5), ""]
            if g.chance(0.6):
                out += [f"{'':40}{year}{'':12}{year - 1}"] + [f"{g.pick(['Net revenue', 'Cost of revenue', 'Operating income', 'Net income', 'Total assets', 'Total liabilities', 'Cash and cash equivalents', 'Earnings per share, diluted'])+':':40}${g.amount(1e3, 9e6):>14}  ${g.amount(1e3, 9e6):>14}" for _ in range(g.n(3, 7))] + [""]
        return "\n".join(out), g.pick(["txt", "htm", "txt"])
    if kind == 1:
        out = [f"INVOICE {g.pick(['#', 'No. ', ''])}{g.n(10000, 999999)}", company, g.address(), "", f"Bill to: {g.name()}", g.address(),
               f"Invoice date: {g.date()}", f"Due date: {g.date()}", "", f"{'Description':40}{'Qty':>6}{'Unit price':>14}{'Amount':>14}"]
        total = 0.0
        for _ in range(g.n(2, 12)):
            q, p = g.n(1, 40), g.r.uniform(5, 3000)
            total += q * p
            out.append(f"{g.pick(ADJECTIVES).title() + ' ' + g.pick(NOUNS):40}{q:>6}{p:>14,.2f}{q * p:>14,.2f}")
        tax = total * g.pick([0.0, 0.07, 0.2, 0.19, 0.21])
        out += ["", f"{'Subtotal':60}{total:>14,.2f}", f"{'VAT / sales tax':60}{tax:>14,.2f}", f"{'TOTAL DUE':60}{total + tax:>14,.2f}", "",
                f"Payment terms: net {g.pick([15, 30, 45, 60])} days. IBAN {g.pick(['DE', 'GB', 'FR', 'NL'])}{g.n(10, 99)} {g.n(1000, 9999)} {g.n(1000, 9999)} {g.n(1000, 9999)} {g.n(1000, 9999)} {g.n(10, 99)}, BIC {''.join(g.pick(string.ascii_uppercase) for _ in range(8))}"]
        return "\n".join(out), g.pick(["txt", "csv", "inv"])
    if kind == 2:
        sep = g.pick([",", ";", "\t"])
        out = [sep.join(["Date", "Description", "Reference", "Debit", "Credit", "Balance"])]
        bal = g.r.uniform(100, 50000)
        for _ in range(g.n(10, 80)):
            amt = g.r.uniform(1, 4000)
            debit = g.chance(0.6)
            bal += -amt if debit else amt
            out.append(sep.join([g.date(), g.pick(["CARD PAYMENT", "DIRECT DEBIT", "TRANSFER", "SALARY", "ATM WITHDRAWAL", "STANDING ORDER", "INTEREST"]) + " " + g.pick(COMPANIES).upper(),
                                 f"{g.n(100000, 999999)}", f"{amt:.2f}" if debit else "", "" if debit else f"{amt:.2f}", f"{bal:.2f}"]))
        head = [f"Account statement - {g.pick(COMPANIES)} Bank", f"Account holder: {g.name()}", f"Account number: {g.n(10000000, 99999999)}  Sort code: {g.n(10, 99)}-{g.n(10, 99)}-{g.n(10, 99)}", ""] if g.chance(0.5) else []
        return "\n".join(head + out), g.pick(["csv", "txt", "tsv"])
    if kind == 3:
        year = g.n(2010, 2026)
        out = [company, g.pick(["CONSOLIDATED BALANCE SHEET", "STATEMENT OF CASH FLOWS", "INCOME STATEMENT", "STATEMENT OF CHANGES IN EQUITY"]), f"(in thousands of {g.pick(['USD', 'EUR', 'GBP'])})", "", f"{'':44}{year:>12}{year - 1:>12}"]
        for section in g.r.sample(["ASSETS", "Current assets", "LIABILITIES AND SHAREHOLDERS' EQUITY", "Operating activities", "Investing activities", "Financing activities", "Revenue", "Expenses"], g.n(2, 4)):
            out += ["", section]
            for _ in range(g.n(3, 8)):
                out.append(f"  {g.pick(['Accounts receivable', 'Inventories', 'Prepaid expenses', 'Goodwill', 'Deferred revenue', 'Accrued liabilities', 'Long-term debt', 'Retained earnings', 'Depreciation and amortization', 'Capital expenditures', 'Dividends paid', 'Share repurchases']):42}{g.n(100, 999999):>12,}{g.n(100, 999999):>12,}")
            out.append(f"  {'Total ' + section.lower():42}{g.n(1000, 9999999):>12,}{g.n(1000, 9999999):>12,}")
        out += ["", g.paragraph(1, 3)]
        return "\n".join(out), g.pick(["txt", "csv", "txt"])
    if kind == 4:
        out = ["{1:F01" + "".join(g.pick(string.ascii_uppercase) for _ in range(8)) + "AXXX" + str(g.n(1000000000, 9999999999)) + "}{2:I103" + "".join(g.pick(string.ascii_uppercase) for _ in range(8)) + "XXXXN}{4:",
               f":20:{g.hexs(12).upper()}", ":23B:CRED", f":32A:{g.date()[2:].replace('-', '')}{g.pick(['EUR', 'USD', 'GBP'])}{g.amount(100, 900000).replace(',', '').replace('.', ',')}",
               f":50K:/{g.n(10000000, 99999999)}", g.name().upper(), g.address().upper(), f":59:/{g.pick(['DE', 'FR', 'GB'])}{g.n(10, 99)}{g.n(10 ** 15, 10 ** 16)}", g.name().upper(),
               f":70:INVOICE {g.n(1000, 99999)}", ":71A:SHA", "-}"]
        return "\n".join(out) * g.n(1, 4), g.pick(["txt", "mt103", "fin"])
    out = [f"{company} - {g.pick(['Quarterly', 'Annual', 'Monthly'])} financial summary", f"Period: Q{g.n(1, 4)} {g.n(2010, 2026)}", ""]
    for _ in range(g.n(2, 5)):
        out += [g.paragraph(1, 3), ""]
        out += [f"- {g.pick(['Revenue', 'Gross margin', 'EBITDA', 'Operating expenses', 'Free cash flow', 'Net debt', 'Accounts payable'])}: {g.pick(['$', 'EUR ', 'GBP '])}{g.amount(1e4, 9e7)} ({g.pick(['+', '-'])}{g.r.uniform(0, 40):.1f}% year over year)" for _ in range(g.n(2, 6))]
        out.append("")
    return "\n".join(out), g.pick(["txt", "md"])


def random_json_value(g, depth=0):
    kind = g.n(0, 9 if depth < 3 else 4)
    if kind == 0:
        return g.n(-1000, 100000)
    if kind == 1:
        return round(g.r.uniform(-1000, 1000), g.n(1, 6))
    if kind == 2:
        return g.pick([True, False, None])
    if kind in (3, 4):
        return g.pick([g.word(), g.sentence(2, 6), g.date() + "T" + g.time() + "Z", g.hexs(g.pick([8, 24, 32])), g.name(), g.email()])
    if kind in (5, 6, 7):
        return {g.ident(g.pick(["snake", "camel"])): random_json_value(g, depth + 1) for _ in range(g.n(1, 7))}
    return [random_json_value(g, depth + 1) for _ in range(g.n(0, 5))]


def json_doc(g):
    kind = g.n(0, 4)
    if kind == 0:
        records = []
        for _ in range(g.n(1, 12)):
            user = g.pick(["alice", "deploy-bot", "ci-runner", "admin", "svc-backup"])
            records.append({"eventVersion": "1.08", "userIdentity": {"type": g.pick(["IAMUser", "AssumedRole", "AWSService", "Root"]), "principalId": "AIDA" + g.hexs(16).upper(),
                            "arn": f"arn:aws:iam::{g.n(10 ** 11, 10 ** 12 - 1)}:user/{user}", "accountId": str(g.n(10 ** 11, 10 ** 12 - 1)), "userName": user},
                            "eventTime": g.date() + "T" + g.time() + "Z", "eventSource": g.pick(["s3.amazonaws.com", "iam.amazonaws.com", "ec2.amazonaws.com", "sts.amazonaws.com", "kms.amazonaws.com"]),
                            "eventName": g.pick(["GetObject", "PutObject", "ListBuckets", "AssumeRole", "CreateUser", "DescribeInstances", "Decrypt", "PutBucketPolicy"]),
                            "awsRegion": g.pick(["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"]), "sourceIPAddress": g.ip(), "userAgent": g.pick(["aws-cli/2.15.0", "Boto3/1.34.0", "console.amazonaws.com", "aws-sdk-go-v2/1.24.0"]),
                            "requestParameters": {"bucketName": g.pick(NOUNS) + "-" + g.pick(NOUNS), "key": f"{g.pick(NOUNS)}/{g.pick(NOUNS)}.{g.pick(['csv', 'json', 'gz'])}"} if g.chance(0.6) else None,
                            "responseElements": None, "requestID": g.hexs(16).upper(), "eventID": f"{g.hexs(8)}-{g.hexs(4)}-{g.hexs(4)}-{g.hexs(4)}-{g.hexs(12)}",
                            "readOnly": g.chance(0.7), "eventType": "AwsApiCall", "managementEvent": g.chance(0.5), "recipientAccountId": str(g.n(10 ** 11, 10 ** 12 - 1))})
        return json.dumps({"Records": records}, indent=g.pick([None, None, 2])), g.pick(["json", "json"])
    if kind == 1:
        cells = []
        for _ in range(g.n(2, 10)):
            if g.chance(0.5):
                src = [f"# {g.sentence(2, 6)}"] if g.chance(0.5) else [g.sentence()]
                cells.append({"cell_type": "markdown", "metadata": {}, "source": src})
            else:
                lines = [f"import {g.pick(['numpy as np', 'pandas as pd', 'matplotlib.pyplot as plt', 'json', 'os'])}\n"] if g.chance(0.3) else []
                lines += [f"{g.ident('snake')} = {g.pick(['pd.read_csv', 'np.array', 'len', 'sorted'])}({g.ident('snake')})\n" for _ in range(g.n(1, 5))]
                cells.append({"cell_type": "code", "execution_count": g.n(1, 40), "metadata": {}, "outputs": [{"name": "stdout", "output_type": "stream", "text": [f"{g.n(0, 999)}\n"]}] if g.chance(0.5) else [], "source": lines})
        nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}, "language_info": {"name": "python", "version": f"3.{g.n(6, 12)}.{g.n(0, 9)}"}}, "nbformat": 4, "nbformat_minor": g.n(2, 5)}
        return json.dumps(nb, indent=1), "ipynb"
    if kind == 2:
        items = [{g.pick(["id", "uuid", "key"]): g.n(1, 99999), g.pick(["name", "title", "label"]): g.sentence(1, 4).rstrip("."), "tags": [g.word() for _ in range(g.n(0, 4))],
                  g.pick(["price", "score", "weight"]): round(g.r.uniform(0, 500), 2), g.pick(["created", "updated_at", "timestamp"]): g.date() + "T" + g.time() + "Z"} for _ in range(g.n(1, 25))]
        doc = {g.pick(["data", "items", "results", "entries"]): items, g.pick(["page", "offset"]): g.n(0, 40), "total": g.n(25, 9000)}
        if g.chance(0.3):
            doc = items
        return json.dumps(doc, indent=g.pick([None, 2, 4, "\t"])), g.pick(["json", "json", "txt", ""])
    if kind == 3:
        doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": g.pick(CITIES), "population": g.n(1000, 3000000)},
                                                         "geometry": {"type": "Point", "coordinates": [round(g.r.uniform(-180, 180), 5), round(g.r.uniform(-90, 90), 5)]}} for _ in range(g.n(1, 15))]}
        return json.dumps(doc, indent=g.pick([None, 2])), g.pick(["geojson", "json"])
    return json.dumps(random_json_value(g, 0) if g.chance(0.3) else {g.ident(): random_json_value(g, 1) for _ in range(g.n(2, 9))}, indent=g.pick([None, 2, 4])), g.pick(["json", "json", "dat"])


def application_logs(g):
    kind = g.n(0, 6)
    lines = []
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    n = g.n(5, 120)
    paths = [f"/{g.pick(NOUNS)}/{g.pick(NOUNS)}{g.pick(['', '.html', '.php', '.js', '.css', '.png', '/'])}" for _ in range(8)]
    if kind in (0, 1):
        for _ in range(n):
            ts = f"{g.n(1, 28):02d}/{g.pick(months)}/{g.n(2015, 2026)}:{g.time()} {g.pick(['+0000', '-0700', '+0100'])}"
            line = f'{g.ip()} - {g.pick(["-", "-", "frank", "admin"])} [{ts}] "{g.pick(["GET", "GET", "POST", "HEAD", "PUT"])} {g.pick(paths)} HTTP/{g.pick(["1.0", "1.1", "2.0"])}" {g.pick([200, 200, 200, 304, 404, 500, 301, 403])} {g.n(0, 90000)}'
            if kind == 1:
                line += f' "{g.pick(["-", "https://" + g.pick(DOMAINS) + g.pick(paths)])}" "{g.pick(["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.4.0", "Googlebot/2.1", "python-requests/2.31"])}"'
            lines.append(line)
        return "\n".join(lines) + "\n", g.pick(["log", "log", "access_log", "txt", "1"])
    if kind == 2:
        hosts = [g.pick(["web", "db", "app", "cache", "bastion"]) + str(g.n(1, 20)) for _ in range(3)]
        for _ in range(n):
            proc = g.pick(["sshd", "CRON", "systemd", "kernel", "sudo", "postfix/smtpd", "dhclient", "nginx"])
            msg = {"sshd": f"Accepted publickey for {g.pick(['root', 'deploy', 'ubuntu'])} from {g.ip()} port {g.n(1024, 65535)} ssh2",
                   "CRON": f"({g.pick(['root', 'www-data'])}) CMD ({g.pick(['run-parts /etc/cron.hourly', '/usr/local/bin/backup.sh', 'certbot renew'])})",
                   "systemd": f"{g.pick(['Started', 'Stopped', 'Reloading'])} {g.pick(NOUNS)}.service - {g.sentence(2, 4).rstrip('.')}",
                   "kernel": f"[{g.r.uniform(0, 99999):.6f}] {g.pick(['eth0: link up', 'EXT4-fs (sda1): mounted filesystem', 'Out of memory: Killed process ' + str(g.n(100, 9999))])}",
                   }.get(proc, g.sentence(4, 10))
            pid = f"[{g.n(100, 65000)}]" if proc not in ("kernel",) else ""
            lines.append(f"{g.pick(months)} {g.n(1, 28):>2} {g.time()} {g.pick(hosts)} {proc}{pid}: {msg}")
        return "\n".join(lines) + "\n", g.pick(["log", "", "1", "txt"])
    if kind == 3:
        owner = g.hexs(64)
        for _ in range(n):
            ts = f"[{g.n(1, 28):02d}/{g.pick(months)}/{g.n(2015, 2026)}:{g.time()} +0000]"
            lines.append(f'{owner} {g.pick(NOUNS)}-{g.pick(NOUNS)} {ts} {g.ip()} arn:aws:iam::{g.n(10 ** 11, 10 ** 12 - 1)}:user/{g.pick(["alice", "bob", "ci"])} {g.hexs(16).upper()} '
                         f'{g.pick(["REST.GET.OBJECT", "REST.PUT.OBJECT", "REST.GET.BUCKET", "REST.HEAD.OBJECT"])} {g.pick(NOUNS)}/{g.pick(NOUNS)}.{g.pick(["csv", "json", "png"])} "GET /{g.pick(NOUNS)} HTTP/1.1" '
                         f'{g.pick([200, 200, 403, 404])} {g.pick(["-", "AccessDenied", "NoSuchKey"])} {g.n(0, 99999)} {g.n(0, 99999)} {g.n(1, 500)} {g.n(1, 200)} "-" "{g.pick(["aws-cli/2.15.0", "Boto3/1.34"])}" - {g.b64(30)} SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader {g.pick(NOUNS)}.s3.amazonaws.com TLSv1.2 - -')
        return "\n".join(lines) + "\n", g.pick(["", "log", "txt"])
    if kind == 4:
        for _ in range(n):
            entry = {g.pick(["ts", "time", "@timestamp"]): g.date() + "T" + g.time() + "." + str(g.n(100, 999)) + "Z", g.pick(["level", "severity", "lvl"]): g.pick(["info", "INFO", "warn", "error", "debug"]),
                     g.pick(["msg", "message"]): g.sentence(3, 9), g.pick(["service", "logger", "component"]): g.ident("snake")}
            if g.chance(0.5):
                entry[g.pick(["request_id", "trace_id"])] = g.hexs(16)
            if g.chance(0.4):
                entry["duration_ms"] = g.n(1, 5000)
            lines.append(json.dumps(entry))
        return "\n".join(lines) + "\n", g.pick(["log", "jsonl", "json", "ndjson"])
    if kind == 5:
        cls = [f"com.{g.pick(COMPANIES).lower()}.{g.pick(NOUNS)}.{g.ident('pascal')}" for _ in range(4)]
        for _ in range(n):
            lines.append(f"{g.date()} {g.time()},{g.n(100, 999)} {g.pick(['INFO ', 'WARN ', 'ERROR', 'DEBUG'])} [{g.pick(['main', 'http-nio-8080-exec-' + str(g.n(1, 20)), 'pool-1-thread-' + str(g.n(1, 9))])}] {g.pick(cls)} - {g.sentence(3, 10)}")
            if g.chance(0.05):
                lines += [f"java.lang.{g.pick(['NullPointerException', 'IllegalStateException', 'IOException'])}: {g.sentence(2, 5)}"] + [f"\tat {g.pick(cls)}.{g.ident('camel')}({g.ident('pascal')}.java:{g.n(10, 900)})" for _ in range(g.n(2, 8))]
        return "\n".join(lines) + "\n", g.pick(["log", "out", "txt"])
    for _ in range(n):
        lines.append(f"{g.date()} {g.time()}{g.pick([',', '.'])}{g.n(100, 999)} {g.pick(['[INFO]', '[WARNING]', '[ERROR]', 'INFO', 'WARNING'])} {g.pick(['', g.ident('snake') + ': '])}{g.sentence(3, 10)}")
    return "\n".join(lines) + "\n", g.pick(["log", "txt", ""])


SQL_TYPES = ["int(11)", "bigint", "varchar(255)", "text", "datetime", "decimal(10,2)", "tinyint(1)", "date", "timestamp"]


def database(g):
    kind = g.n(0, 3)
    tables = [g.ident("snake") + g.pick(["s", "", "_log", "_items"]) for _ in range(g.n(1, 4))]
    out = []
    if kind == 0:
        out += [f"-- MySQL dump 10.13  Distrib {g.n(5, 8)}.{g.n(0, 7)}.{g.n(10, 40)}, for Linux (x86_64)", "--", f"-- Host: {g.pick(['localhost', '127.0.0.1', 'db.internal'])}    Database: {g.ident('snake')}",
                "-- ------------------------------------------------------", f"-- Server version\t{g.n(5, 8)}.{g.n(0, 7)}.{g.n(10, 40)}", "",
                "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;", "/*!40101 SET NAMES utf8mb4 */;", "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;", ""]
        for t in tables:
            cols = [g.ident("snake") for _ in range(g.n(2, 7))]
            out += ["--", f"-- Table structure for table `{t}`", "--", "", f"DROP TABLE IF EXISTS `{t}`;", f"CREATE TABLE `{t}` (", "  `id` int(11) NOT NULL AUTO_INCREMENT,"]
            out += [f"  `{c}` {g.pick(SQL_TYPES)} {g.pick(['DEFAULT NULL', 'NOT NULL'])}," for c in cols]
            out += ["  PRIMARY KEY (`id`)", f") ENGINE=InnoDB AUTO_INCREMENT={g.n(2, 9999)} DEFAULT CHARSET=utf8mb4;", "", f"LOCK TABLES `{t}` WRITE;", f"/*!40000 ALTER TABLE `{t}` DISABLE KEYS */;"]
            rows = ",".join("(" + ",".join([str(i + 1)] + [g.pick([str(g.n(0, 9999)), f"'{g.word()}'", "NULL", f"'{g.date()} {g.time()}'"]) for _ in cols]) + ")" for i in range(g.n(1, 30)))
            out += [f"INSERT INTO `{t}` VALUES {rows};", f"/*!40000 ALTER TABLE `{t}` ENABLE KEYS */;", "UNLOCK TABLES;", ""]
        out.append(f"-- Dump completed on {g.date()} {g.time()}")
        return "\n".join(out) + "\n", g.pick(["sql", "sql", "dump", "mysql"])
    if kind == 1:
        out += ["--", "-- PostgreSQL database dump", "--", "", f"-- Dumped from database version {g.n(10, 16)}.{g.n(0, 9)}", f"-- Dumped by pg_dump version {g.n(10, 16)}.{g.n(0, 9)}", "",
                "SET statement_timeout = 0;", "SET client_encoding = 'UTF8';", "SET standard_conforming_strings = on;", "SELECT pg_catalog.set_config('search_path', '', false);", ""]
        for t in tables:
            cols = [g.ident("snake") for _ in range(g.n(2, 6))]
            out += [f"CREATE TABLE public.{t} (", "    id integer NOT NULL,"] + [f"    {c} {g.pick(['text', 'integer', 'timestamp with time zone', 'numeric(12,2)', 'boolean', 'character varying(120)'])}," for c in cols]
            out[-1] = out[-1].rstrip(",")
            out += [");", "", f"ALTER TABLE public.{t} OWNER TO {g.pick(['postgres', 'app', 'admin'])};", "", f"COPY public.{t} (id, {', '.join(cols)}) FROM stdin;"]
            out += ["\t".join([str(i + 1)] + [g.pick([str(g.n(0, 999)), g.word(), "\\N", g.date()]) for _ in cols]) for i in range(g.n(1, 25))]
            out += ["\\.", ""]
        out += ["--", "-- PostgreSQL database dump complete", "--"]
        return "\n".join(out) + "\n", g.pick(["sql", "pgdump", "sql"])
    if kind == 2:
        for _ in range(g.n(3, 30)):
            doc = {"_id": {"$oid": g.hexs(24)}, g.ident("camel"): g.word(), g.ident("camel"): g.n(0, 9999), "createdAt": {"$date": g.date() + "T" + g.time() + ".000Z"}}
            if g.chance(0.5):
                doc[g.ident("camel")] = {"$numberLong": str(g.n(10 ** 9, 10 ** 12))}
            if g.chance(0.4):
                doc["tags"] = [g.word() for _ in range(g.n(1, 3))]
            out.append(json.dumps(doc))
        return "\n".join(out) + "\n", g.pick(["json", "bson.json", "jsonl", "mongo"])
    if g.chance(0.3):
        # an extension or upgrade script: functions, types, grants
        out += [f"/* {g.ident('snake')}--{g.n(1, 2)}.{g.n(0, 9)}.sql */", "", f"-- complain if script is sourced in psql, rather than via {g.pick(['CREATE', 'ALTER'])} EXTENSION",
                f"\\echo Use \"{g.pick(['CREATE', 'ALTER'])} EXTENSION {g.ident('snake')}\" to load this file. \\quit", ""]
        for _ in range(g.n(1, 8)):
            fn = g.ident("snake")
            args = ", ".join(g.pick(["text", "integer", "internal", "bigint", "regclass", "bytea", "float8"]) for _ in range(g.n(0, 3)))
            out += [f"CREATE {g.pick(['', 'OR REPLACE '])}FUNCTION {fn}({args})", f"RETURNS {g.pick(['text', 'integer', 'void', 'SETOF record', 'boolean', 'internal'])}",
                    g.pick(["AS 'MODULE_PATHNAME', '" + fn + "'", "AS $$ SELECT " + g.ident('snake') + " FROM " + g.pick(tables) + " $$"]), f"LANGUAGE {g.pick(['C', 'SQL', 'plpgsql'])} {g.pick(['STRICT', 'IMMUTABLE', 'PARALLEL SAFE', 'STABLE STRICT'])};", ""]
            if g.chance(0.4):
                out += [f"REVOKE ALL ON FUNCTION {fn}({args}) FROM PUBLIC;", f"GRANT EXECUTE ON FUNCTION {fn}({args}) TO {g.pick(['pg_read_all_stats', 'app', 'reporting'])};", ""]
            if g.chance(0.3):
                out += [f"ALTER FUNCTION {fn}({args}) {g.pick(['PARALLEL SAFE', 'COST 10', 'IMMUTABLE'])};", ""]
        if g.chance(0.4):
            out += [f"CREATE VIEW {g.pick(tables)}_view AS", f"  SELECT * FROM {g.ident('snake')}();", f"GRANT SELECT ON {g.pick(tables)}_view TO PUBLIC;"]
        return "\n".join(out) + "\n", g.pick(["sql", "sql"])
    if g.chance(0.25):
        out += ["PRAGMA foreign_keys=OFF;", "BEGIN TRANSACTION;"]
        for t in tables:
            cols = [g.ident("snake") for _ in range(g.n(1, 5))]
            out.append(f"CREATE TABLE {t}(id INTEGER PRIMARY KEY, " + ", ".join(f"{c} {g.pick(['TEXT', 'INTEGER', 'REAL', 'BLOB'])}" for c in cols) + ");")
            out += [f"INSERT INTO {t} VALUES({i + 1}," + ",".join(g.pick([str(g.n(0, 99)), repr(g.word()), "NULL"]) for _ in cols) + ");" for i in range(g.n(0, 12))]
        out.append("COMMIT;")
        return "\n".join(out) + "\n", g.pick(["sql", "db.sql", "dump"])
    for t in tables:
        cols = [g.ident("snake") for _ in range(g.n(2, 6))]
        out += [f"-- {g.sentence(3, 8)}" if g.chance(0.6) else "", f"CREATE TABLE {g.pick(['', 'IF NOT EXISTS '])}{t} (", f"    id {g.pick(['SERIAL PRIMARY KEY', 'INTEGER PRIMARY KEY', 'BIGINT NOT NULL'])},"]
        out += [f"    {c} {g.pick(['VARCHAR(100)', 'INTEGER', 'TEXT NOT NULL', 'DATE', 'NUMERIC(10, 2)', 'BOOLEAN DEFAULT FALSE'])}," for c in cols]
        out[-1] = out[-1].rstrip(",")
        out += [");", ""]
        if g.chance(0.6):
            out.append(f"CREATE INDEX idx_{t}_{cols[0]} ON {t} ({cols[0]});")
        for _ in range(g.n(0, 6)):
            out.append(f"INSERT INTO {t} ({', '.join(cols)}) VALUES ({', '.join(g.pick([str(g.n(0, 99)), repr(g.word())]) for _ in cols)});")
        if g.chance(0.5):
            out.append(f"SELECT {', '.join(cols[:2])}, COUNT(*) FROM {t} WHERE {cols[-1]} {g.pick(['>', '=', '<>', 'LIKE'])} {g.pick(['10', repr(g.word())])} GROUP BY {', '.join(cols[:2])} ORDER BY 3 DESC;")
        if g.chance(0.4):
            out.append(f"UPDATE {t} SET {cols[0]} = {g.n(0, 9)} WHERE id = {g.n(1, 999)};")
        out.append("")
    if g.chance(0.3):
        out = ["BEGIN;"] + out + ["COMMIT;"]
    return "\n".join(out) + "\n", g.pick(["sql", "sql", "ddl", "migration.sql"])


# Source languages: (name, extension, line comment, block comment, function template, call/assign forms)
# Each template is written from the language's own syntax.
LANGS = {
    "fsharp": ("fs", "//", ("(*", "*)"), "let {f} {a} =\n{body}", "    let {v} = {e}", "    if {c} then {s}", "    printfn \"%A\" {v}"),
    "viml": ("vim", "\"", None, "function! {F}({a})\n{body}\nendfunction", "  let l:{v} = {e}", "  if {c}\n    {s}\n  endif", "  echo l:{v}"),
    "actionscript": ("as", "//", ("/*", "*/"), "public function {f}({a}:Number):void {{\n{body}\n}}", "    var {v}:Number = {e};", "    if ({c}) {{ {s}; }}", "    trace({v});"),
    "assembly": ("asm", ";", None, "{f}:\n{body}\n    ret", "    mov {reg}, {n}", "    cmp {reg}, {n}\n    jne .L{n}", "    call {f}"),
    "bash": ("sh", "#", None, "{f}() {{\n{body}\n}}", "  local {v}=\"${{{n}}}\"", "  if [ \"${v}\" -gt {n} ]; then\n    {s}\n  fi", "  echo \"${v}\""),
    "batchfile": ("bat", "REM", None, ":{f}\n{body}\ngoto :eof", "set {v}=%{n}", "if \"%{v}%\"==\"{n}\" (\n  {s}\n)", "echo %{v}%"),
    "c": ("c", "//", ("/*", "*/"), "static int {f}(int {a})\n{{\n{body}\n    return 0;\n}}", "    int {v} = {e};", "    if ({c}) {{\n        {s};\n    }}", "    printf(\"%d\\n\", {v});"),
    "clojure": ("clj", ";;", None, "(defn {f}\n  [{a}]\n{body})", "  (let [{v} {e}]", "  (when {c} {s})", "  (println {v})"),
    "cobol": ("cbl", "*>", None, "       {F}.\n{body}\n           EXIT.", "           MOVE {n} TO {V}.", "           IF {V} > {n}\n              {s}\n           END-IF.", "           DISPLAY {V}."),
    "coffeescript": ("coffee", "#", ("###", "###"), "{f} = ({a}) ->\n{body}", "  {v} = {e}", "  if {c} then {s}", "  console.log {v}"),
    "cuda": ("cu", "//", ("/*", "*/"), "__global__ void {f}(float *{a}, int n)\n{{\n    int i = blockIdx.x * blockDim.x + threadIdx.x;\n{body}\n}}", "    float {v} = {a}[i] * {n}.0f;", "    if (i < n) {{ {s}; }}", "    __syncthreads();"),
    "erlang": ("erl", "%", None, "{f}({A}) ->\n{body}\n    ok.", "    {V} = {e},", "    case {V} of\n        {n} -> {s};\n        _ -> ok\n    end,", "    io:format(\"~p~n\", [{V}]),"),
    "fortran": ("f90", "!", None, "subroutine {f}({a})\n  implicit none\n  integer :: {a}\n{body}\nend subroutine {f}", "  {v} = {e}", "  if ({c}) then\n    {s}\n  end if", "  print *, {v}"),
    "go": ("go", "//", ("/*", "*/"), "func {f}({a} int) error {{\n{body}\n\treturn nil\n}}", "\t{v} := {e}", "\tif {c} {{\n\t\t{s}\n\t}}", "\tfmt.Println({v})"),
    "haskell": ("hs", "--", ("{-", "-}"), "{f} :: Int -> Int\n{f} {a} =\n{body}", "  let {v} = {e}", "  in if {c} then {n} else {a}", "  where helper = {n}"),
    "java": ("java", "//", ("/*", "*/"), "    public static int {f}(int {a}) {{\n{body}\n        return {a};\n    }}", "        int {v} = {e};", "        if ({c}) {{\n            {s};\n        }}", "        System.out.println({v});"),
    "javascript": ("js", "//", ("/*", "*/"), "function {f}({a}) {{\n{body}\n}}", "  const {v} = {e};", "  if ({c}) {{\n    {s};\n  }}", "  console.log({v});"),
    "lisp": ("lisp", ";;", None, "(defun {f} ({a})\n{body})", "  (setq {v} {e})", "  (if {c} {s})", "  (format t \"~a~%\" {v})"),
    "lua": ("lua", "--", ("--[[", "]]"), "local function {f}({a})\n{body}\nend", "  local {v} = {e}", "  if {c} then\n    {s}\n  end", "  print({v})"),
    "matlab": ("m", "%", ("%{", "%}"), "function result = {f}({a})\n{body}\nend", "    {v} = {e};", "    if {c}\n        {s};\n    end", "    disp({v});"),
    "objectivec": ("m", "//", ("/*", "*/"), "- (NSInteger){f}:(NSInteger){a} {{\n{body}\n    return {a};\n}}", "    NSInteger {v} = {e};", "    if ({c}) {{\n        {s};\n    }}", "    NSLog(@\"%ld\", (long){v});"),
    "perl": ("pl", "#", None, "sub {f} {{\n    my (${a}) = @_;\n{body}\n}}", "    my ${v} = {e};", "    if ({c}) {{\n        {s};\n    }}", "    print \"${v}\\n\";"),
    "php": ("php", "//", ("/*", "*/"), "function {f}(${a}) {{\n{body}\n}}", "    ${v} = {e};", "    if ({c}) {{\n        {s};\n    }}", "    echo ${v};"),
    "powershell": ("ps1", "#", ("<#", "#>"), "function {F} {{\n    param([int]${a})\n{body}\n}}", "    ${v} = {e}", "    if ({c}) {{\n        {s}\n    }}", "    Write-Output ${v}"),
    "processing": ("pde", "//", ("/*", "*/"), "void {f}(float {a}) {{\n{body}\n}}", "  float {v} = {e};", "  if ({c}) {{\n    {s};\n  }}", "  ellipse({v}, {v}, {n}, {n});"),
    "python": ("py", "#", ('"""', '"""'), "def {f}({a}):\n{body}", "    {v} = {e}", "    if {c}:\n        {s}", "    print({v})"),
    "r": ("r", "#", None, "{f} <- function({a}) {{\n{body}\n}}", "  {v} <- {e}", "  if ({c}) {{\n    {s}\n  }}", "  print({v})"),
    "ruby": ("rb", "#", ("=begin", "=end"), "def {f}({a})\n{body}\nend", "  {v} = {e}", "  if {c}\n    {s}\n  end", "  puts {v}"),
    "scala": ("scala", "//", ("/*", "*/"), "  def {f}({a}: Int): Int = {{\n{body}\n    {a}\n  }}", "    val {v} = {e}", "    if ({c}) {{ {s} }}", "    println({v})"),
    "swift": ("swift", "//", ("/*", "*/"), "func {f}(_ {a}: Int) -> Int {{\n{body}\n    return {a}\n}}", "    let {v} = {e}", "    if {c} {{\n        {s}\n    }}", "    print({v})"),
    "vhdl": ("vhd", "--", None, "architecture {f} of {F}_unit is\n  signal {a} : std_logic_vector(7 downto 0);\nbegin\n{body}\nend architecture {f};", "  {v} <= {a} when {c} else (others => '0');", "  process(clk)\n  begin\n    if rising_edge(clk) then\n      {s};\n    end if;\n  end process;", "  {v}_out <= {v};"),
    "typescript": ("ts", "//", ("/*", "*/"), "export function {f}({a}: number): number {{\n{body}\n  return {a};\n}}", "  const {v}: number = {e};", "  if ({c}) {{\n    {s};\n  }}", "  console.log({v});"),
    "rust": ("rs", "//", ("/*", "*/"), "fn {f}({a}: u32) -> u32 {{\n{body}\n    {a}\n}}", "    let {v} = {e};", "    if {c} {{\n        {s};\n    }}", "    println!(\"{{}}\", {v});"),
    "csharp": ("cs", "//", ("/*", "*/"), "    public int {F}(int {a})\n    {{\n{body}\n        return {a};\n    }}", "        var {v} = {e};", "        if ({c})\n        {{\n            {s};\n        }}", "        Console.WriteLine({v});"),
    "cpp": ("cpp", "//", ("/*", "*/"), "int {f}(const std::vector<int>& {a}) {{\n{body}\n    return 0;\n}}", "    auto {v} = {e};", "    if ({c}) {{\n        {s};\n    }}", "    std::cout << {v} << std::endl;"),
    "kotlin": ("kt", "//", ("/*", "*/"), "fun {f}({a}: Int): Int {{\n{body}\n    return {a}\n}}", "    val {v} = {e}", "    if ({c}) {{\n        {s}\n    }}", "    println({v})"),
}

PREAMBLE = {
    "c": ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>"], "cpp": ["#include <iostream>", "#include <vector>", "#include <string>"],
    "cuda": ["#include <cuda_runtime.h>", "#include <stdio.h>"], "java": ["package com.{co}.{n1};", "", "import java.util.List;", "import java.util.ArrayList;", "", "public class {C} {{"],
    "go": ["package {n1}", "", "import (", "\t\"fmt\"", "\t\"os\"", ")"], "python": ["import os", "import sys", "from typing import List"],
    "perl": ["#!/usr/bin/perl", "use strict;", "use warnings;"], "php": ["<?php", "namespace {C};"], "bash": ["#!/bin/bash", "set -euo pipefail"],
    "ruby": ["require 'json'"], "rust": ["use std::collections::HashMap;"], "csharp": ["using System;", "using System.Collections.Generic;", "", "namespace {C}", "{{", "public class {C}Service", "{{"],
    "scala": ["package {n1}", "", "object {C} {{"], "swift": ["import Foundation"], "kotlin": ["package {n1}"], "typescript": ["import {{ {C} }} from './{n1}';"],
    "javascript": ["'use strict';", "const fs = require('fs');"], "objectivec": ["#import <Foundation/Foundation.h>", "", "@implementation {C}"],
    "vhdl": ["library ieee;", "use ieee.std_logic_1164.all;"], "fortran": ["module {n1}_mod"], "haskell": ["module {C} where", "", "import Data.List (sortBy)"],
    "erlang": ["-module({n1}).", "-export([start/0])."], "cobol": ["       IDENTIFICATION DIVISION.", "       PROGRAM-ID. {CU}.", "       DATA DIVISION.", "       WORKING-STORAGE SECTION.", "       01 {CU}-COUNT PIC 9(4).", "       PROCEDURE DIVISION."],
    "powershell": ["Set-StrictMode -Version Latest"], "clojure": ["(ns {n1}.core", "  (:require [clojure.string :as str]))"], "lua": ["local M = {{}}"],
    "batchfile": ["@echo off", "setlocal enabledelayedexpansion"], "assembly": ["section .text", "global _start"], "processing": ["void setup() {{", "  size(640, 480);", "}}"],
}
CLOSING = {"java": ["}"], "csharp": ["}", "}"], "scala": ["}"], "objectivec": ["@end"], "fortran": ["end module"], "lua": ["return M"]}


def source_code(g):
    lang = g.pick(sorted(LANGS))
    ext, line_c, block_c, fn, assign, cond, out_stmt = LANGS[lang]
    style = "snake" if lang in ("python", "ruby", "rust", "perl", "bash", "erlang", "r", "fortran", "lisp", "clojure", "lua", "c", "haskell") else "camel"
    co = g.pick(COMPANIES).lower()
    n1 = g.pick(NOUNS)
    C = g.ident("pascal")
    lines = []
    if g.chance(0.4):
        text = g.sentence(4, 12)
        if block_c and g.chance(0.5):
            lines += [block_c[0] + " " + text, " " + g.sentence(4, 10), block_c[1]]
        else:
            lines += [f"{line_c} {text}", f"{line_c} Copyright {g.n(2000, 2026)} {g.pick(COMPANIES)}. {g.pick(['All rights reserved.', 'Licensed under the Apache License 2.0.', 'MIT License.'])}"]
    lines += [l.format(co=co, n1=n1, C=C, CU=C.upper()) for l in PREAMBLE.get(lang, [])]
    lines.append("")
    for _ in range(g.n(1, 6)):
        f = g.ident(style)
        a = g.ident(style) if lang not in ("erlang",) else g.ident("pascal")
        body = []
        vars_ = []
        for _ in range(g.n(1, 7)):
            v = g.ident(style)
            vars_.append(v)
            e = g.pick([str(g.n(0, 999)), f"{a} * {g.n(2, 9)}", f"{a} + {g.n(1, 99)}", f"{g.pick(vars_)} - 1"])
            stmt = g.pick([assign, assign, cond, out_stmt])
            c = f"{g.pick(vars_)} {g.pick(['>', '<', '=='])} {g.n(0, 100)}" if lang not in ("bash", "batchfile") else ""
            s = out_stmt.strip().format(v=v, V=v.title().replace("_", ""), a=a, n=g.n(0, 9), f=f, F=f.title(), reg="eax", e=e, c=c, A=a) if "{" in out_stmt else out_stmt.strip()
            body.append(stmt.format(v=v, V=v.title().replace("_", "").upper() if lang == "cobol" else v.title().replace("_", ""), e=e, c=c, s=s, a=a, A=a, n=g.n(0, 99), f=f, F=f.title(), reg=g.pick(["eax", "ebx", "rcx", "rdx"])))
            if g.chance(0.15):
                body.append(assign.split("{")[0] + f"{line_c} {g.sentence(3, 7)}" if lang != "cobol" else f"      *> {g.sentence(3, 6)}")
        if g.chance(0.35) and lang != "cobol":
            lines.append(f"{line_c} {g.sentence(3, 9)}")
        lines.append(fn.format(f=f, F=f.title().replace("_", ""), a=a, A=a, body="\n".join(body)))
        lines.append("")
    lines += CLOSING.get(lang, [])
    names = {"fsharp": "fs", "matlab": "m", "objectivec": "m"}
    return "\n".join(lines) + "\n", names.get(lang, ext) if g.chance(0.9) else ""


def web_languages(g):
    kind = g.n(0, 2)
    if kind == 0:
        title = g.sentence(2, 5).rstrip(".")
        out = ["<!DOCTYPE html>" if g.chance(0.8) else "<!doctype html>", f"<html lang=\"{g.pick(['en', 'de', 'fr', 'es'])}\">", "<head>", "  <meta charset=\"utf-8\">",
               "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">", f"  <title>{title}</title>"]
        if g.chance(0.6):
            out.append(f"  <link rel=\"stylesheet\" href=\"/{g.pick(['css', 'static', 'assets'])}/{g.pick(NOUNS)}.css\">")
        out += ["</head>", f"<body class=\"{g.pick(NOUNS)}\">", f"  <header><nav>" + "".join(f"<a href=\"/{g.pick(NOUNS)}\">{g.pick(NOUNS).title()}</a>" for _ in range(g.n(2, 6))) + "</nav></header>", "  <main>"]
        for _ in range(g.n(1, 6)):
            kind2 = g.n(0, 4)
            if kind2 == 0:
                out.append(f"    <h{g.n(1, 3)}>{g.sentence(2, 6).rstrip('.')}</h{g.n(1, 3)}>")
            elif kind2 == 1:
                out.append(f"    <ul>" + "".join(f"<li>{g.sentence(2, 5)}</li>" for _ in range(g.n(2, 6))) + "</ul>")
            elif kind2 == 2:
                out.append(f"    <form action=\"/{g.pick(NOUNS)}\" method=\"post\"><input type=\"text\" name=\"{g.ident('snake')}\"><button type=\"submit\">{g.pick(VERBS).title()}</button></form>")
            elif kind2 == 3:
                out.append(f"    <table><tr>" + "".join(f"<th>{g.pick(NOUNS)}</th>" for _ in range(3)) + "</tr>" + "".join("<tr>" + "".join(f"<td>{g.n(0, 999)}</td>" for _ in range(3)) + "</tr>" for _ in range(g.n(1, 5))) + "</table>")
            else:
                out.append(f"    <div class=\"{g.pick(NOUNS)}-{g.pick(NOUNS)}\"><p>{g.paragraph(1, 3)}</p></div>")
        out += ["  </main>", f"  <footer>&copy; {g.n(2000, 2026)} {g.pick(COMPANIES)}</footer>"]
        if g.chance(0.4):
            out.append(f"  <script src=\"/js/{g.pick(NOUNS)}.js\"></script>")
        out += ["</body>", "</html>"]
        return "\n".join(out) + "\n", g.pick(["html", "html", "htm", "xhtml"])
    if kind == 1:
        out = []
        if g.chance(0.3):
            out += [f"/* {g.sentence(3, 8)} */", ""]
        if g.chance(0.3):
            out += [f":root {{", f"  --{g.pick(NOUNS)}-color: #{g.hexs(6)};", f"  --spacing: {g.n(2, 24)}px;", "}", ""]
        for _ in range(g.n(3, 20)):
            sel = g.pick([f".{g.pick(NOUNS)}", f"#{g.pick(NOUNS)}", g.pick(["body", "h1", "a", "p", "ul li", "nav a:hover", "button", "input[type=\"text\"]"]), f".{g.pick(NOUNS)}-{g.pick(NOUNS)} > .{g.pick(NOUNS)}"])
            props = [f"  {p}: {v};" for p, v in g.r.sample([("color", f"#{g.hexs(g.pick([3, 6]))}"), ("margin", f"{g.n(0, 40)}px {g.n(0, 40)}px"), ("padding", f"{g.n(0, 3)}.{g.n(0, 9)}rem"),
                                                            ("display", g.pick(["flex", "block", "grid", "none", "inline-block"])), ("font-size", f"{g.n(10, 48)}px"), ("background", f"rgba({g.n(0, 255)}, {g.n(0, 255)}, {g.n(0, 255)}, 0.{g.n(1, 9)})"),
                                                            ("border-radius", f"{g.n(0, 12)}px"), ("font-family", g.pick(["sans-serif", "\"Helvetica Neue\", Arial, sans-serif", "monospace"])), ("width", f"{g.n(10, 100)}%"), ("transition", f"all 0.{g.n(1, 9)}s ease")], g.n(1, 6))]
            if g.chance(0.2):
                out += [f"@media (max-width: {g.pick([480, 768, 1024])}px) {{", f"  {sel} {{"] + ["  " + p for p in props] + ["  }", "}", ""]
            else:
                out += [f"{sel} {{"] + props + ["}", ""]
        text = "\n".join(out)
        if g.chance(0.2):
            text = text.replace("\n", "").replace("  ", "")
        return text + "\n", g.pick(["css", "css", "scss", "less"])
    root = g.pick(NOUNS)
    out = ['<?xml version="1.0" encoding="UTF-8"?>' if g.chance(0.85) else ""]
    if g.chance(0.3):
        out.append(f"<!-- {g.sentence(3, 8)} -->")
    ns = f' xmlns="http://{g.pick(DOMAINS)}/schema/{root}"' if g.chance(0.4) else ""
    out.append(f"<{root}s{ns} version=\"{g.n(1, 3)}.{g.n(0, 9)}\">")
    child = g.pick(NOUNS)
    fields = [g.pick(NOUNS) for _ in range(g.n(2, 5))]
    for i in range(g.n(1, 20)):
        out.append(f"  <{child} id=\"{i + 1}\"{' type=' + chr(34) + g.pick(ADJECTIVES) + chr(34) if g.chance(0.4) else ''}>")
        out += [f"    <{fd}>{g.pick([g.word(), str(g.n(0, 9999)), g.date(), g.sentence(2, 5)])}</{fd}>" for fd in fields]
        out.append(f"  </{child}>")
    out.append(f"</{root}s>")
    return "\n".join(l for l in out if l) + "\n", g.pick(["xml", "xml", "xsd" if g.chance(0.1) else "xml", "plist", "svg" if False else "xml"])


def configuration(g):
    text, ext = configuration_body(g)
    if g.chance(0.45):
        # Real configs are mostly comments: a header, prose, commented-out defaults.
        mark = "//" if ext in ("hcl",) else "#"
        lines = []
        for _ in range(g.n(2, 12)):
            lines.append(f"{mark} {g.sentence(4, 14)}" if g.chance(0.7) else mark)
        for line in text.split("\n"):
            if line and g.chance(0.25) and not line.startswith("["):
                lines.append(f"{mark}{g.pick(['', ' '])}{line.strip()}")
                if g.chance(0.4):
                    lines.append(f"{mark} {g.sentence(3, 10)}")
            else:
                lines.append(line)
        text = "\n".join(lines)
    return text, ext


def configuration_body(g):
    kind = g.n(0, 8)
    keys = lambda: g.ident(g.pick(["snake", "camel"]))
    if kind == 0:
        out = []
        for _ in range(g.n(1, 6)):
            out += [f"[{g.pick(NOUNS)}{g.pick(['', '.' + g.pick(NOUNS), ':' + g.pick(NOUNS)])}]"] + [f"{keys()} {g.pick(['=', ' = ', '='])} {g.pick([str(g.n(0, 9999)), g.word(), 'true', 'false', '/var/lib/' + g.pick(NOUNS), g.ip()])}" for _ in range(g.n(1, 8))] + [""]
        if g.chance(0.4):
            out.insert(0, g.pick(["; ", "# "]) + g.sentence(3, 8))
        return "\n".join(out), g.pick(["ini", "cfg", "conf", "cnf"])
    if kind == 1:
        out = []
        for _ in range(g.n(1, 5)):
            out += [f"[{g.pick(NOUNS)}]"] + [f"{keys()} = {g.pick([str(g.n(0, 9999)), json.dumps(g.word()), 'true', json.dumps([g.word(), g.word()]), json.dumps(g.date())])}" for _ in range(g.n(1, 6))] + [""]
        if g.chance(0.5):
            out = [f"name = \"{g.pick(NOUNS)}\"", f"version = \"{g.n(0, 5)}.{g.n(0, 20)}.{g.n(0, 9)}\"", ""] + out
        return "\n".join(out), g.pick(["toml"])
    if kind == 2:
        def yaml_block(depth):
            lines = []
            for _ in range(g.n(1, 5)):
                k = keys()
                if depth < 3 and g.chance(0.35):
                    lines.append("  " * depth + f"{k}:")
                    lines += yaml_block(depth + 1)
                elif g.chance(0.2):
                    lines.append("  " * depth + f"{k}:")
                    lines += ["  " * depth + f"  - {g.pick([g.word(), str(g.n(0, 99)), g.ip()])}" for _ in range(g.n(1, 4))]
                else:
                    lines.append("  " * depth + f"{k}: {g.pick([str(g.n(0, 9999)), g.word(), 'true', 'false', json.dumps(g.sentence(2, 4)), g.pick(NOUNS) + ':' + str(g.n(1, 9))])}")
            return lines
        head = []
        flavour = g.n(0, 3)
        if flavour == 0:
            head = [f"apiVersion: {g.pick(['apps/v1', 'v1', 'batch/v1', 'networking.k8s.io/v1'])}", f"kind: {g.pick(['Deployment', 'Service', 'ConfigMap', 'CronJob', 'Ingress'])}", "metadata:", f"  name: {g.pick(NOUNS)}-{g.pick(NOUNS)}", f"  namespace: {g.pick(['default', 'prod', 'staging'])}", "spec:"]
            body = yaml_block(1)
        elif flavour == 1:
            head = [f"version: \"{g.pick(['3', '3.8', '2.4'])}\"", "services:"]
            body = []
            for _ in range(g.n(1, 4)):
                body += [f"  {g.pick(NOUNS)}:", f"    image: {g.pick(['nginx', 'postgres', 'redis', 'node', 'python'])}:{g.n(1, 16)}", "    ports:", f"      - \"{g.n(1000, 9999)}:{g.n(80, 9000)}\"", "    environment:", f"      - {g.ident('upper')}={g.word()}"]
        elif flavour == 2:
            head = [f"name: {g.sentence(1, 3).rstrip('.')}", "on:", "  push:", "    branches: [main]", "jobs:", "  build:", "    runs-on: ubuntu-latest", "    steps:"]
            body = [f"      - uses: actions/{g.pick(['checkout', 'setup-node', 'cache'])}@v{g.n(2, 4)}"] + [f"      - run: {g.pick(['make test', 'cargo build', 'npm ci', 'pytest -q'])}" for _ in range(g.n(1, 4))]
        else:
            body = yaml_block(0)
        return ("---\n" if g.chance(0.3) else "") + "\n".join(head + body) + "\n", g.pick(["yaml", "yml"])
    if kind == 3:
        out = [f"{g.ident('upper')}={g.pick([str(g.n(0, 9999)), g.word(), 'true', 'https://' + g.pick(DOMAINS), g.pick(NOUNS) + '-' + g.pick(NOUNS)])}" for _ in range(g.n(3, 20))]
        if g.chance(0.5):
            out.insert(0, f"# {g.sentence(2, 6)}")
        return "\n".join(out) + "\n", g.pick(["env", "env", ""])
    if kind == 4:
        out = [f"{'.'.join(g.pick(NOUNS) for _ in range(g.n(2, 4)))}={g.pick([str(g.n(0, 9999)), g.word(), 'true', 'jdbc:postgresql://' + g.pick(['db', 'localhost']) + ':5432/' + g.pick(NOUNS)])}" for _ in range(g.n(3, 25))]
        return "\n".join(out) + "\n", g.pick(["properties", "properties", "conf"])
    if kind == 5:
        out = [f"user {g.pick(['nginx', 'www-data'])};", f"worker_processes {g.pick(['auto', '2', '4'])};", "", "events {", f"    worker_connections {g.pick([512, 1024, 4096])};", "}", "", "http {",
               "    include       mime.types;", "    sendfile      on;", f"    keepalive_timeout {g.n(5, 75)};"]
        for _ in range(g.n(1, 3)):
            out += ["    server {", f"        listen {g.pick(['80', '443 ssl', '8080'])};", f"        server_name {g.pick(NOUNS)}.{g.pick(DOMAINS)};"]
            for _ in range(g.n(1, 4)):
                out += [f"        location /{g.pick(NOUNS)} {{", f"            {g.pick(['proxy_pass http://127.0.0.1:' + str(g.n(3000, 9000)), 'root /var/www/' + g.pick(NOUNS), 'return 301 https://$host$request_uri'])};", "        }"]
            out.append("    }")
        out.append("}")
        return "\n".join(out) + "\n", g.pick(["conf", "conf", "nginx"])
    if kind == 6:
        out = ["[Unit]", f"Description={g.sentence(2, 5).rstrip('.')}", f"After=network.target{g.pick(['', ' postgresql.service'])}", "", "[Service]", f"Type={g.pick(['simple', 'forking', 'oneshot'])}",
               f"User={g.pick(['app', 'www-data', 'nobody'])}", f"ExecStart=/usr/local/bin/{g.pick(NOUNS)} --{g.pick(NOUNS)} {g.n(1, 99)}", f"Restart={g.pick(['always', 'on-failure'])}", f"Environment={g.ident('upper')}={g.word()}", "", "[Install]", "WantedBy=multi-user.target"]
        return "\n".join(out) + "\n", g.pick(["service", "timer", "socket"])
    if kind == 7:
        out = [f"{g.pick(['Port', 'PermitRootLogin', 'PasswordAuthentication', 'X11Forwarding', 'MaxAuthTries', 'AllowUsers', 'ClientAliveInterval', 'UsePAM'])} {g.pick(['yes', 'no', str(g.n(1, 9000)), g.pick(FIRST_NAMES).lower()])}" for _ in range(g.n(4, 14))]
        if g.chance(0.5):
            out = [f"<VirtualHost *:{g.pick([80, 443])}>", f"    ServerName {g.pick(NOUNS)}.{g.pick(DOMAINS)}", f"    DocumentRoot /var/www/{g.pick(NOUNS)}", f"    ErrorLog ${{APACHE_LOG_DIR}}/error.log", f"    <Directory /var/www/{g.pick(NOUNS)}>", "        AllowOverride All", "        Require all granted", "    </Directory>", "</VirtualHost>"]
        return "\n".join(out) + "\n", g.pick(["conf", "", "config"])
    out = []
    for _ in range(g.n(1, 4)):
        kind2 = g.pick(["resource", "variable", "provider"])
        if kind2 == "resource":
            out += [f"resource \"{g.pick(['aws_s3_bucket', 'aws_instance', 'google_storage_bucket', 'azurerm_resource_group'])}\" \"{g.ident('snake')}\" {{"] + [f"  {g.ident('snake')} = {g.pick([json.dumps(g.word()), str(g.n(0, 99)), 'true', 'var.' + g.ident('snake')])}" for _ in range(g.n(1, 6))] + ["}", ""]
        elif kind2 == "variable":
            out += [f"variable \"{g.ident('snake')}\" {{", f"  type    = {g.pick(['string', 'number', 'bool'])}", f"  default = {json.dumps(g.word())}", "}", ""]
        else:
            out += [f"provider \"{g.pick(['aws', 'google', 'azurerm'])}\" {{", f"  region = \"{g.pick(['us-east-1', 'eu-west-1', 'europe-west4'])}\"", "}", ""]
    return "\n".join(out), g.pick(["tf", "hcl", "tfvars"])


def personal_records(g):
    kind = g.n(0, 4)
    if kind == 0:
        sep = g.pick([",", ";", "\t", "|"])
        cols = g.r.sample(["first_name", "last_name", "full_name", "email", "phone", "date_of_birth", "address", "city", "postcode", "ssn", "national_id", "employee_id", "department", "hire_date", "gender", "nationality"], g.n(4, 9))
        out = [sep.join(cols)]
        for _ in range(g.n(5, 60)):
            name = g.name()
            vals = {"first_name": name.split()[0], "last_name": name.split()[1], "full_name": name, "email": g.email(name), "phone": g.phone(), "date_of_birth": f"{g.n(1940, 2005)}-{g.n(1, 12):02d}-{g.n(1, 28):02d}",
                    "address": g.address().split(",")[0], "city": g.pick(CITIES), "postcode": str(g.n(10000, 99999)), "ssn": f"{g.n(100, 899)}-{g.n(10, 99)}-{g.n(1000, 9999)}", "national_id": "".join(g.pick(string.ascii_uppercase + string.digits) for _ in range(9)),
                    "employee_id": f"E{g.n(10000, 99999)}", "department": g.pick(["Sales", "Finance", "Engineering", "HR", "Support", "Legal"]), "hire_date": g.date(), "gender": g.pick(["F", "M", "X"]), "nationality": g.pick(["DE", "US", "FR", "IN", "BR", "NG", "JP"])}
            out.append(sep.join(vals[c] for c in cols))
        return "\n".join(out) + "\n", g.pick(["csv", "csv", "tsv", "txt"])
    name = g.name()
    if kind == 1:
        out = [name.upper() if g.chance(0.5) else name, f"{g.address()} | {g.phone()} | {g.email(name)}", "", g.pick(["PROFESSIONAL SUMMARY", "Profile", "About me"]), g.paragraph(2, 3), "", g.pick(["EXPERIENCE", "Work history", "Employment"])]
        for _ in range(g.n(1, 4)):
            out += [f"{g.pick(ADJECTIVES).title()} {g.pick(NOUNS).title()} {g.pick(['Manager', 'Engineer', 'Analyst', 'Specialist', 'Lead'])}, {g.pick(COMPANIES)} ({g.n(2000, 2020)} - {g.pick(['present', str(g.n(2010, 2026))])})"] + [f"  - {g.sentence(4, 10)}" for _ in range(g.n(1, 4))]
        out += ["", "EDUCATION", f"{g.pick(['BSc', 'MSc', 'BA', 'PhD'])} {g.pick(NOUNS).title()} {g.pick(['Studies', 'Engineering', 'Science'])}, University of {g.pick(CITIES)}, {g.n(1990, 2020)}", "", f"Date of birth: {g.n(1, 28)}.{g.n(1, 12)}.{g.n(1960, 2002)}", f"Nationality: {g.pick(['German', 'Brazilian', 'Indian', 'Irish', 'Japanese'])}"]
        return "\n".join(out) + "\n", g.pick(["txt", "md", "cv"])
    if kind == 2:
        out = [g.pick(["PATIENT RECORD", "Clinical summary", "Discharge summary", "MEDICAL HISTORY"]), f"Patient: {name}", f"DOB: {g.n(1, 12):02d}/{g.n(1, 28):02d}/{g.n(1930, 2020)}", f"MRN: {g.n(100000, 9999999)}",
               f"Address: {g.address()}", f"Phone: {g.phone()}", f"Insurance: {g.pick(COMPANIES)} Health, member {g.n(10 ** 8, 10 ** 9)}", "", f"Attending physician: Dr. {g.name()}", f"Date of visit: {g.date()}", "",
               "Diagnosis: " + g.pick(["Type 2 diabetes mellitus", "Essential hypertension", "Asthma", "Major depressive disorder", "Fracture of the left radius", "Seasonal allergic rhinitis"]), "Medications: " + ", ".join(g.r.sample(["metformin 500 mg", "lisinopril 10 mg", "salbutamol inhaler", "sertraline 50 mg", "ibuprofen 400 mg", "cetirizine 10 mg"], g.n(1, 3))), "", "Notes:", g.paragraph(2, 4)]
        return "\n".join(out) + "\n", g.pick(["txt", "txt", "rtf" if False else "txt", "doc.txt"])
    if kind == 3:
        recs = [{"name": (nm := g.name()), "email": g.email(nm), "phone": g.phone(), "birthdate": f"{g.n(1940, 2005)}-{g.n(1, 12):02d}-{g.n(1, 28):02d}", "address": {"street": g.address().split(",")[0], "city": g.pick(CITIES), "zip": str(g.n(10000, 99999))},
                 **({"ssn": f"{g.n(100, 899)}-{g.n(10, 99)}-{g.n(1000, 9999)}"} if g.chance(0.5) else {}), **({"passport": "".join(g.pick(string.ascii_uppercase + string.digits) for _ in range(9))} if g.chance(0.3) else {})} for _ in range(g.n(2, 25))]
        return json.dumps({g.pick(["customers", "employees", "members", "patients"]): recs}, indent=g.pick([None, 2])), g.pick(["json", "json"])
    out = [g.pick(["EMPLOYEE PERSONNEL FILE", "Employee information form", "NEW HIRE FORM", "Tenant application"]), "", f"Full name: {name}", f"Date of birth: {g.n(1, 28)} {g.pick(['January', 'March', 'May', 'July', 'October'])} {g.n(1950, 2004)}",
           f"Social Security Number: {g.n(100, 899)}-{g.n(10, 99)}-{g.n(1000, 9999)}", f"Home address: {g.address()}", f"Personal email: {g.email(name)}", f"Mobile: {g.phone()}",
           f"Emergency contact: {g.name()} ({g.pick(['spouse', 'parent', 'sibling'])}), {g.phone()}", f"Marital status: {g.pick(['single', 'married', 'divorced'])}", f"Bank account for payroll: {g.n(10 ** 7, 10 ** 8)}", f"Start date: {g.date()}", f"Salary: {g.amount(20000, 200000)} per year", "", g.paragraph(1, 2)]
    return "\n".join(out) + "\n", g.pick(["txt", "txt", "form"])


def other(g):
    kind = g.n(0, 6)
    if kind == 0:
        out = [f"# {g.pick(NOUNS).title()} {g.pick(NOUNS)}", "", g.paragraph(1, 3), "", "## " + g.pick(["Installation", "Usage", "Getting started", "Notes"]), ""] + [f"- {g.sentence(3, 8)}" for _ in range(g.n(2, 6))]
        return "\n".join(out) + "\n", g.pick(["md", "txt", ""])
    if kind == 1:
        out = [g.pick(["Shopping list", "TODO", "Things to do", "Packing list"]) + ":"] + [f"{g.pick(['-', '*', '[ ]', '[x]', ''])} {g.pick(ADJECTIVES)} {g.pick(NOUNS)}" for _ in range(g.n(3, 20))]
        return "\n".join(out) + "\n", g.pick(["txt", "md", "todo"])
    if kind == 2:
        out = [f"{g.pick(NOUNS).title()} {g.pick(['recipe', 'soup', 'pie', 'stew'])}", "", "Ingredients:"] + [f"- {g.n(1, 500)} {g.pick(['g', 'ml', 'cups', 'tbsp', 'pieces'])} {g.pick(NOUNS)}" for _ in range(g.n(3, 10))] + ["", "Method:"] + [f"{i + 1}. {g.sentence(4, 12)}" for i in range(g.n(2, 7))]
        return "\n".join(out) + "\n", g.pick(["txt", "md"])
    if kind == 3:
        sep = g.pick([",", "\t", ";"])
        cols = [g.pick(["timestamp", "sensor", "temperature", "humidity", "pressure", "voltage", "rpm", "x", "y", "z"]) for _ in range(g.n(2, 6))]
        out = [sep.join(cols)] + [sep.join(f"{g.r.uniform(-50, 500):.{g.n(0, 4)}f}" for _ in cols) for _ in range(g.n(5, 100))]
        return "\n".join(out) + "\n", g.pick(["csv", "tsv", "dat", "txt"])
    if kind == 4:
        out = [f"Meeting notes - {g.pick(NOUNS)} {g.pick(['sync', 'review', 'planning', 'retro'])}", f"Date: {g.date()}", f"Attendees: {', '.join(g.pick(FIRST_NAMES) for _ in range(g.n(2, 6)))}", ""] + [f"* {g.sentence(4, 12)}" for _ in range(g.n(3, 10))] + ["", "Action items:"] + [f"- {g.pick(FIRST_NAMES)}: {g.sentence(3, 7)}" for _ in range(g.n(1, 4))]
        return "\n".join(out) + "\n", g.pick(["txt", "md", ""])
    if kind == 5:
        stanzas = ["\n".join(g.sentence(3, 7).rstrip(".!?") for _ in range(g.n(2, 5))) for _ in range(g.n(1, 4))]
        return "\n\n".join(stanzas) + "\n", g.pick(["txt", ""])
    out = [f"{g.pick(['Changelog', 'CHANGES', 'Release notes'])}", ""]
    for _ in range(g.n(1, 5)):
        out += [f"## {g.n(0, 5)}.{g.n(0, 20)}.{g.n(0, 9)} ({g.date()})"] + [f"- {g.pick(['Fixed', 'Added', 'Removed', 'Changed', 'Improved'])} {g.sentence(3, 8).lower()}" for _ in range(g.n(1, 5))] + [""]
    return "\n".join(out), g.pick(["md", "txt", ""])


# ------------------------------------------------ families from real-file misses
#
# Added after the real-file set's tuning part (classifiers/models/realset.py)
# showed what the first families lacked: hard-wrapped books and plays, MIME-
# heavy mail, OFX statements and ledger journals, text extracted from
# spreadsheets and record exports, SCSS and namespaced XML, standalone SQL,
# certificate dumps, reST documentation, agreements and notes. Each is
# written here from the format's public description.

def wrap(text, width):
    """Hard-wraps a paragraph at `width` columns, as plain-text books are."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "\n".join(lines)


ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def ebook_wrapped(g):
    width = g.pick([64, 68, 70, 72, 75])
    title = " ".join(w.title() for w in [g.pick(ADJECTIVES), g.pick(NOUNS)])
    author = g.name()
    out = []
    if g.chance(0.6):
        out += [f"Title: {title}", "", f"Author: {author}", "", f"Release Date: {g.pick(['January', 'June', 'October'])} {g.n(1, 28)}, {g.n(1991, 2010)} [eBook #{g.n(10, 9999)}]",
                "", f"Language: {g.pick(['English', 'English', 'French'])}", "", f"Character set encoding: {g.pick(['ASCII', 'UTF-8', 'ISO-8859-1'])}", "", ""]
    out += [title.upper(), "", f"by {author}" if g.chance(0.7) else author.upper(), "", ""]
    kind = g.n(0, 2)
    names = [g.pick(FIRST_NAMES).upper() for _ in range(4)]
    for c in range(g.n(1, 4)):
        if kind == 0:
            out += [f"CHAPTER {ROMAN[c]}.", "", f"{g.pick(ADJECTIVES).title()} {g.pick(NOUNS).title()}" if g.chance(0.5) else "", ""]
            for _ in range(g.n(4, 12)):
                para = g.paragraph(2, 8)
                if g.chance(0.35):
                    para = f"'{g.sentence(4, 12)}' said {g.pick(names).title()}, '{g.sentence(3, 10)}'"
                out += [wrap(para, width), ""]
        elif kind == 1:
            out += [f"ACT {ROMAN[c]}.", "", f"SCENE {ROMAN[g.n(0, 4)]}. {g.pick(['A room in the palace', 'The forest', 'Before the house', 'An orchard'])}.", "",
                    f"Enter {g.pick(names)} and {g.pick(names)}", ""]
            for _ in range(g.n(6, 20)):
                who = g.pick(names)
                speech = wrap(g.paragraph(1, 3), width - 4)
                out += [f"  {who}. " + speech.replace("\n", "\n    ") if g.chance(0.5) else f"{who}.\n  " + speech.replace("\n", "\n  "), ""]
                if g.chance(0.1):
                    out += [f"                     Exit {g.pick(names)}.", ""]
        else:
            out += [f"BOOK {ROMAN[c]}", "", ""]
            for _ in range(g.n(20, 60)):
                out.append(g.sentence(5, 9).rstrip(".!?") + g.pick([",", ";", "", ".", ":"]))
            out.append("")
    return "\n".join(out) + "\n", g.pick(["txt", "txt", ""])


def mime_mail(g):
    sender, to = g.name(), g.name()
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    date = f"{g.pick(days)}, {g.n(1, 28)} {g.pick(months)} {g.n(1998, 2026)} {g.time()} {g.pick(['+0000', '-0500', '+0100', '-0400'])}"
    h = []
    if g.chance(0.3):
        h.append(f"From {g.email(sender)}  {g.pick(days)} {g.pick(months)} {g.n(1, 28)} {g.time()} {g.n(1998, 2026)}")
    for _ in range(g.n(0, 4)):
        h.append(f"Received: from {g.pick(NOUNS)}.{g.pick(DOMAINS)} ([{g.ip()}])\n\tby {g.pick(NOUNS)}.{g.pick(DOMAINS)} with {g.pick(['SMTP', 'ESMTP', 'LMTP'])} id {g.hexs(12)}\n\tfor <{g.email(to)}>; {date}")
    h += [f"From: {g.pick([sender + ' <' + g.email(sender) + '>', g.email(sender), chr(34) + sender + chr(34) + ' <' + g.email(sender) + '>'])}",
          f"To: {g.email(to)}", f"Subject: {g.sentence(2, 6).rstrip('.?!')}", f"Date: {date}", "MIME-Version: 1.0"]
    if g.chance(0.5):
        h.append(f"Message-ID: <{g.hexs(10)}@{g.pick(DOMAINS)}>")
    b1 = f"{'=' * g.n(0, 2)}{g.pick(['BOUNDARY', 'boundary', '----_=_NextPart', 'Apple-Mail'])}_{g.hexs(8)}"
    kind = g.pick(["mixed", "mixed", "alternative", "related", "report", "digest"])
    h.append(f'Content-Type: multipart/{kind};\n\tboundary="{b1}"')
    parts = []
    text = g.paragraph(1, 4) if g.chance(0.8) else g.sentence()
    parts.append(f"--{b1}\nContent-Type: text/plain; charset={g.pick(['us-ascii', 'iso-8859-1', 'utf-8', 'windows-1252'])}\nContent-Transfer-Encoding: {g.pick(['7bit', 'quoted-printable', '8bit'])}\n\n{text}\n")
    for _ in range(g.n(1, 3)):
        what = g.n(0, 4)
        if what == 0:
            fname = f"{g.pick(NOUNS)}.{g.pick(['gif', 'png', 'jpg', 'pdf', 'zip', 'doc'])}"
            body = g.b64(g.n(60, 900))
            body = "\n".join(body[i:i + 76] for i in range(0, len(body), 76))
            parts.append(f"--{b1}\nContent-Type: {g.pick(['image/gif', 'application/octet-stream', 'application/pdf', 'image/png'])}; name=\"{fname}\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"{fname}\"\n\n{body}\n")
        elif what == 1:
            parts.append(f"--{b1}\nContent-Type: message/rfc822\n\nFrom: {g.email()}\nTo: {g.email()}\nSubject: {g.sentence(2, 5).rstrip('.')}\nDate: {date}\n\n{g.sentence()}\n")
        elif what == 2:
            parts.append(f"--{b1}\nContent-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n<html><body><p>{g.sentence()}</p></body></html>\n")
        elif what == 3:
            parts.append(f"--{b1}\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\nContent-Description: {g.pick(NOUNS)}\n\n{g.sentence()}\n")
        else:
            parts.append(f"--{b1}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; {g.pick(NOUNS)}.{g.pick(DOMAINS)}\n\nFinal-Recipient: rfc822; {g.email()}\nAction: failed\nStatus: 5.1.1\n")
    preamble = g.pick(["", "This is a multi-part message in MIME format.\n", "This is a MIME-encapsulated message\n\n"])
    return "\n".join(h) + "\n\n" + preamble + "\n".join(parts) + f"--{b1}--\n" + ("\n" + g.sentence() + "\n" if g.chance(0.2) else ""), g.pick(["", "txt", "eml", "msg"])


def ofx(g):
    trans = []
    bal = g.r.uniform(100, 90000)
    for _ in range(g.n(1, 12)):
        amt = g.r.uniform(-3000, 3000)
        bal += amt
        trans.append(["<STMTTRN>", f"<TRNTYPE>{g.pick(['DEBIT', 'CREDIT', 'CHECK', 'POS', 'ATM', 'XFER', 'FEE'])}", f"<DTPOSTED>{g.date().replace('-', '')}{g.pick(['', '120000', '000000.000[-5:EST]'])}",
                      f"<TRNAMT>{amt:.2f}", f"<FITID>{g.n(10 ** 8, 10 ** 12)}", f"<NAME>{g.pick(COMPANIES).upper()} {g.pick(['PAYMENT', 'DEPOSIT', 'PURCHASE', 'TRANSFER'])}",
                      *( [f"<MEMO>{g.sentence(2, 5).rstrip('.')}"] if g.chance(0.4) else []), "</STMTTRN>"])
    xml = g.chance(0.4)
    close = (lambda tag, v: f"<{tag}>{v}</{tag}>") if xml else (lambda tag, v: f"<{tag}>{v}")
    if xml:
        head = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>', f'<?OFX OFXHEADER="200" VERSION="{g.pick([200, 211, 220])}" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>']
    else:
        head = ["OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE", "ENCODING:USASCII", "CHARSET:1252", "COMPRESSION:NONE", "OLDFILEUID:NONE", "NEWFILEUID:NONE", ""]
    body = ["<OFX>", "<SIGNONMSGSRSV1>", "<SONRS>", "<STATUS>", close("CODE", 0), close("SEVERITY", "INFO"), "</STATUS>", close("DTSERVER", g.date().replace("-", "")), close("LANGUAGE", "ENG"),
            *(["<FI>", close("ORG", g.pick(COMPANIES).upper()), close("FID", g.n(1000, 99999)), "</FI>"] if g.chance(0.6) else []), "</SONRS>", "</SIGNONMSGSRSV1>"]
    card = g.chance(0.3)
    body += ["<CREDITCARDMSGSRSV1>" if card else "<BANKMSGSRSV1>", "<CCSTMTTRNRS>" if card else "<STMTTRNRS>", close("TRNUID", g.n(0, 9999)), "<STATUS>", close("CODE", 0), close("SEVERITY", "INFO"), "</STATUS>",
             "<CCSTMTRS>" if card else "<STMTRS>", close("CURDEF", g.pick(["USD", "AUD", "CAD", "EUR"]))]
    if card:
        body += ["<CCACCTFROM>", close("ACCTID", g.n(10 ** 11, 10 ** 15)), "</CCACCTFROM>"]
    else:
        body += ["<BANKACCTFROM>", close("BANKID", g.n(10 ** 6, 10 ** 9)), close("ACCTID", g.n(10 ** 6, 10 ** 10)), close("ACCTTYPE", g.pick(["CHECKING", "SAVINGS", "MONEYMRKT"])), "</BANKACCTFROM>"]
    body += ["<BANKTRANLIST>", close("DTSTART", g.date().replace("-", "")), close("DTEND", g.date().replace("-", ""))]
    for t in trans:
        body += [t[0]] + [close(x[1:x.index(">")], x[x.index(">") + 1:]) for x in t[1:-1]] + [t[-1]]
    body += ["</BANKTRANLIST>", "<LEDGERBAL>", close("BALAMT", f"{bal:.2f}"), close("DTASOF", g.date().replace("-", "")), "</LEDGERBAL>"]
    if g.chance(0.5):
        body += ["<AVAILBAL>", close("BALAMT", f"{bal - g.r.uniform(0, 500):.2f}"), close("DTASOF", g.date().replace("-", "")), "</AVAILBAL>"]
    body += ["</CCSTMTRS>" if card else "</STMTRS>", "</CCSTMTTRNRS>" if card else "</STMTTRNRS>", "</CREDITCARDMSGSRSV1>" if card else "</BANKMSGSRSV1>", "</OFX>"]
    indent = g.chance(0.5)
    depth, lines = 0, []
    for line in body:
        if line.startswith("</"):
            depth -= 1
        lines.append(("  " * max(depth, 0) if indent else "") + line)
        if line.startswith("<") and not line.startswith("</") and line.endswith(">") and line.count("<") == 1:
            depth += 1
    return "\n".join(head) + "\n" + ("\n".join(lines) if g.chance(0.8) else "".join(lines)) + "\n", g.pick(["ofx", "ofx", "qfx", "qbo"])


def ledger_journal(g):
    accounts = ["Assets:Checking", "Assets:Savings", "Assets:Brokerage", "Expenses:Food", "Expenses:Rent", "Expenses:Utilities", "Income:Salary",
                "Liabilities:MasterCard", "Equity:Opening Balances", "Expenses:Books", "Income:Interest"]
    out = []
    if g.chance(0.4):
        out += [f"; {g.sentence(3, 8)}", ""]
    for _ in range(g.n(3, 14)):
        d = g.date().replace("-", g.pick(["/", "-", "/"]))
        out.append(f"{d}{g.pick([' * ', ' ! ', ' '])}{g.pick(COMPANIES)} {g.pick(['Payroll', 'Market', 'Books', 'Utilities', 'Rent'])}")
        cur = g.pick(["$", "", "EUR ", "£"])
        amt = g.r.uniform(5, 5000)
        out.append(f"    {g.pick(accounts):36}{cur}{amt:,.2f}")
        out.append(f"    {g.pick(accounts)}" + (f"{'':20}{cur}-{amt:,.2f}" if g.chance(0.5) else ""))
        out.append("")
    return "\n".join(out), g.pick(["dat", "ledger", "journal", "txt"])


def prices_table(g):
    sep = g.pick([",", ",", "\t"])
    kind = g.n(0, 1)
    rows = []
    price = g.r.uniform(5, 1500)
    if kind == 0:
        head = g.pick([["Date", "Open", "High", "Low", "Close", "Volume"], ["date", "open", "high", "low", "close", "adj_close", "volume"]])
        for _ in range(g.n(10, 80)):
            o = price
            price *= g.r.uniform(0.96, 1.04)
            rows.append([g.date()] + [f"{x:.2f}" for x in (o, max(o, price) * 1.01, min(o, price) * 0.99, price)][: len(head) - 2] + ([f"{price:.2f}"] if len(head) == 7 else []) + [str(g.n(10 ** 4, 10 ** 8))])
    else:
        head = g.pick([["symbol", "date", "price"], ["date", "price"], ["Ticker", "Date", "Close"]])
        sym = "".join(g.pick(string.ascii_uppercase) for _ in range(g.n(2, 4)))
        for _ in range(g.n(10, 120)):
            price *= g.r.uniform(0.95, 1.05)
            d = g.pick([g.date(), f"{g.pick(['Jan', 'Feb', 'Mar', 'Apr'])} {g.n(1, 28)} {g.n(2000, 2026)}"])
            rows.append(([sym] if len(head) == 3 else []) + [d, f"{price:.2f}"])
    return "\n".join(sep.join(r) for r in [head] + rows) + "\n", g.pick(["csv", "csv", "tsv", "txt"])


def sheet_rows(g, header, make_row, rows):
    """Rows as the spreadsheet and table extractors write them: tab-separated cells, one row a line."""
    return "\n".join(["\t".join(header)] + ["\t".join(make_row()) for _ in range(rows)])


def payroll_sheet(g):
    blocks = []
    if g.chance(0.5):
        blocks.append(sheet_rows(g, ["month", "gross", "employees"], lambda: [f"{g.n(2015, 2026)}-{g.n(1, 12):02d}", str(g.n(10 ** 4, 10 ** 7)), str(g.n(2, 400))], g.n(1, 3)))
    cols = g.r.sample(["employee", "name", "ssn", "iban", "net_pay", "gross_pay", "tax", "employee_id", "department", "bank_account", "salary", "national_insurance"], g.n(3, 6))
    if not any(c in cols for c in ("employee", "name")):
        cols.insert(0, "employee")

    def row():
        vals = {"employee": g.name(), "name": g.name(), "ssn": f"{g.n(100, 899)}{g.pick(['-', ''])}{g.n(10, 99)}{g.pick(['-', ''])}{g.n(1000, 9999)}",
                "iban": f"{g.pick(['GB', 'DE', 'NL', 'FR'])}{g.n(10, 99)}{''.join(g.pick(string.ascii_uppercase) for _ in range(4))}{g.n(10 ** 13, 10 ** 14)}",
                "net_pay": str(g.n(1000, 12000)), "gross_pay": str(g.n(2000, 20000)), "tax": str(g.n(100, 5000)), "employee_id": f"E{g.n(1000, 99999)}",
                "department": g.pick(["Sales", "Finance", "Engineering", "HR"]), "bank_account": str(g.n(10 ** 7, 10 ** 8)), "salary": g.amount(20000, 200000).replace(",", ""),
                "national_insurance": f"{''.join(g.pick('ABCEHJKLMNPRSTWXYZ') for _ in range(2))}{g.n(100000, 999999)}{g.pick('ABCD')}"}
        return [vals[c] for c in cols]
    blocks.append(sheet_rows(g, cols, row, g.n(3, 40)))
    return "\n".join(blocks) + "\n", g.pick(["xlsx", "xlsx", "xls", "ods", "csv"])


def jsonl_people(g):
    keys = g.r.sample(["customer_id", "name", "email", "phone", "card_number", "card_exp", "billing_zip", "dob", "address", "city", "country", "created_at", "loyalty_tier"], g.n(4, 8))
    if "name" not in keys:
        keys.insert(1, "name")
    lines = []
    for i in range(g.n(3, 40)):
        nm = g.name()
        vals = {"customer_id": f"C-{g.n(1000, 99999)}", "name": nm, "email": g.email(nm), "phone": g.phone(), "card_number": str(g.n(4 * 10 ** 15, 6 * 10 ** 15)),
                "card_exp": f"{g.n(1, 12):02d}/{g.n(25, 32)}", "billing_zip": str(g.n(10000, 99999)), "dob": f"{g.n(1940, 2005)}-{g.n(1, 12):02d}-{g.n(1, 28):02d}",
                "address": g.address().split(",")[0], "city": g.pick(CITIES), "country": g.pick(["US", "GB", "DE", "FR", "IT"]), "created_at": g.date() + "T" + g.time() + "Z",
                "loyalty_tier": g.pick(["gold", "silver", "bronze"])}
        lines.append(json.dumps({k: vals[k] for k in keys}))
    return "\n".join(lines) + "\n", g.pick(["jsonl", "jsonl", "ndjson", "json"])


def labelled_records(g):
    """Columnar records (Parquet, Avro) as assay reads them: one `field: value` a line."""
    keys = g.r.sample(["name", "email", "phone", "ssn", "dob", "address", "city", "employee_id", "salary", "gender", "age"], g.n(3, 7))
    out = []
    for _ in range(g.n(3, 30)):
        nm = g.name()
        vals = {"name": nm, "email": g.email(nm), "phone": g.phone(), "ssn": f"{g.n(100, 899)}-{g.n(10, 99)}-{g.n(1000, 9999)}", "dob": f"{g.n(1940, 2005)}-{g.n(1, 12):02d}-{g.n(1, 28):02d}",
                "address": g.address(), "city": g.pick(CITIES), "employee_id": f"E{g.n(1000, 99999)}", "salary": str(g.n(20000, 200000)), "gender": g.pick(["F", "M"]), "age": str(g.n(18, 90))}
        out += [f"{k}: {vals[k]}" for k in keys]
    return "\n".join(out) + "\n", g.pick(["parquet", "avro", "parquet"])


def people_register(g):
    """Public registers of people: names with ages, places and dates, few identifiers."""
    sep = g.pick([",", ",", "\t"])
    cols = g.r.sample(["first_name", "last_name", "full_name", "age", "gender", "race", "date", "address", "neighborhood", "status", "latitude", "longitude", "occupation", "group"], g.n(4, 8))
    if not any(c in cols for c in ("first_name", "last_name", "full_name")):
        cols.insert(0, "full_name")
    out = [sep.join(cols)]
    for _ in range(g.n(5, 60)):
        nm = g.name()
        vals = {"first_name": nm.split()[0], "last_name": nm.split()[1], "full_name": nm, "age": str(g.n(1, 95)), "gender": g.pick(["Male", "Female", "F", "M"]),
                "race": g.pick(["White", "Black", "Latino", "Asian", "Other"]), "date": g.date(), "address": g.address().split(",")[0], "neighborhood": g.pick(CITIES),
                "status": g.pick(["Deceased", "Resolved", "Open", "Active"]), "latitude": f"{g.r.uniform(-80, 80):.5f}", "longitude": f"{g.r.uniform(-170, 170):.5f}",
                "occupation": g.pick(NOUNS), "group": str(g.n(1, 9))}
        cell = lambda v: f'"{v}"' if sep == "," and ("," in v or g.chance(0.2)) else v
        out.append(sep.join(cell(vals[c]) for c in cols))
    return "\n".join(out) + "\n", g.pick(["csv", "csv", "tsv"])


def scss(g):
    out = []
    if g.chance(0.5):
        out += [f"// {g.sentence(2, 6)}", ""]
    for _ in range(g.n(0, 6)):
        out.append(f"${g.pick(NOUNS)}-{g.pick(NOUNS)}: {g.pick(['#' + g.hexs(6), str(g.n(0, 40)) + 'px', '$' + g.pick(NOUNS) + '-' + g.pick(NOUNS), 'null', 'true', str(g.n(0, 9)) + 'rem'])}{g.pick(['', ' !default'])};")
    if out:
        out.append("")
    for _ in range(g.n(1, 6)):
        sel = g.pick([f".{g.pick(NOUNS)}", f".{g.pick(NOUNS)}-{g.pick(NOUNS)}", f"%{g.pick(NOUNS)}"])
        if g.chance(0.2):
            out.append(f"@mixin {g.pick(NOUNS)}-{g.pick(NOUNS)}(${g.pick(NOUNS)}, ${g.pick(NOUNS)}: {g.n(0, 9)}) {{")
        else:
            out.append(f"{sel} {{")
        for _ in range(g.n(1, 8)):
            r = g.n(0, 6)
            if r == 0:
                out.append(f"  @include {g.pick(NOUNS)}-{g.pick(NOUNS)}({g.pick(['$' + g.pick(NOUNS), str(g.n(0, 9))])});")
            elif r == 1:
                out += [f"  &{g.pick([':hover', ':focus', '.active', ':not(:last-child)', '::before', '-' + g.pick(NOUNS)])} {{", f"    {g.pick(['color', 'border-color', 'opacity'])}: {g.pick(['$' + g.pick(NOUNS), 'var(--' + g.pick(NOUNS) + ')', '0'])};", "  }"]
            elif r == 2:
                out += [f"  @if ${g.pick(NOUNS)} {{", f"    @extend %{g.pick(NOUNS)};", "  }"]
            elif r == 3:
                out += [f"  @each $name, $value in ${g.pick(NOUNS)}s {{", f"    .{g.pick(NOUNS)}-#{{$name}} {{ {g.pick(['margin', 'padding', 'gap'])}: $value; }}", "  }"]
            else:
                out.append(f"  {g.pick(['padding', 'margin', 'color', 'font-size', 'border', 'display', '--#{$prefix}' + g.pick(NOUNS)])}: {g.pick(['$' + g.pick(NOUNS) + '-' + g.pick(NOUNS), str(g.n(0, 9)) + 'px', 'map-get($' + g.pick(NOUNS) + ', ' + g.pick(NOUNS) + ')', 'rgba($black, .' + str(g.n(1, 9)) + ')', 'none', 'flex'])};")
        out += ["}", ""]
    return "\n".join(out), g.pick(["scss", "scss", "sass", "less"])


def xml_ns(g):
    out = []
    if g.chance(0.5):
        out.append('<?xml version="1.0"?>')
    if g.chance(0.4):
        out.append(f'<?xml-stylesheet href="{g.pick(NOUNS)}.xsl" type="text/xsl"?>')
    if g.chance(0.3):
        out.append(f"<!DOCTYPE {g.pick(NOUNS)} [<!ENTITY {g.pick(NOUNS)} \"{g.word()}\">]>")
    prefixes = [g.pick(["a", "b", "ns", "x", "dc", "foo", "bar"]) for _ in range(g.n(0, 3))]
    root = g.pick(NOUNS)
    decl = "".join(f' xmlns:{p}="http://{g.pick(DOMAINS)}/{g.pick(NOUNS)}"' for p in prefixes)
    out.append(f"<{root}{decl}{' xmlns=' + chr(34) + 'http://' + g.pick(DOMAINS) + '/' + chr(34) if g.chance(0.5) else ''}>")
    for _ in range(g.n(1, 10)):
        p = (g.pick(prefixes) + ":") if prefixes and g.chance(0.6) else ""
        tag = p + g.pick(NOUNS)
        attrs = "".join(f' {g.pick(NOUNS)}="{g.word()}"' for _ in range(g.n(0, 2)))
        r = g.n(0, 3)
        if r == 0:
            out.append(f"   <{tag}{attrs}/>")
        elif r == 1:
            out.append(f"   <!-- {g.sentence(2, 6)} -->")
        elif r == 2:
            out.append(f"   <{tag}{attrs}>{g.pick([g.word(), '&amp;' + g.word(), '<![CDATA[' + g.sentence(2, 4) + ']]>'])}</{tag}>")
        else:
            out += [f"   <{tag}{attrs}>", f"      <{g.pick(NOUNS)}>{g.word()}</{g.pick(NOUNS)}>".replace(f"</{g.pick(NOUNS)}>", "</x>") if False else f"      <e{g.n(1, 9)}>{g.word()}</e{g.n(1, 9)}>", f"   </{tag}>"]
    out.append(f"</{root}>")
    return "\n".join(out) + "\n", g.pick(["xml", "xml", "xsl", "rdf", "svg" if False else "xml"])


def doc_page(g):
    """Generated documentation pages (Sphinx-like): navigation, sections, code spans."""
    title = f"{g.pick(NOUNS)} \u2014 {g.sentence(2, 5).rstrip('.')}"
    out = ["<!DOCTYPE html>", "", '<html lang="en" data-content_root="../">', "  <head>", '    <meta charset="utf-8" />', f"    <title>{title}</title>",
           '    <link rel="stylesheet" type="text/css" href="../_static/pygments.css" />', '    <script src="../_static/documentation_options.js"></script>', "  </head><body>",
           '    <div class="related" role="navigation" aria-label="Related">', "      <ul>"]
    out += [f'        <li class="right"><a href="{g.pick(NOUNS)}.html" title="{g.pick(NOUNS)}">{g.pick(["next", "previous", "modules", "index"])}</a> |</li>' for _ in range(g.n(2, 4))]
    out += ["      </ul>", "    </div>", '    <div class="document">', '      <div class="body" role="main">', f'  <section id="{g.pick(NOUNS)}">',
            f'<h1><code class="xref py py-mod docutils literal notranslate"><span class="pre">{g.pick(NOUNS)}</span></code> \u2014 {g.sentence(2, 5).rstrip(".")}<a class="headerlink" href="#{g.pick(NOUNS)}" title="Link to this heading">\u00b6</a></h1>']
    for _ in range(g.n(2, 8)):
        r = g.n(0, 2)
        if r == 0:
            out.append(f"<p>{g.sentence()} <a class=\"reference internal\" href=\"#{g.pick(NOUNS)}\"><code class=\"xref py py-func docutils literal notranslate\"><span class=\"pre\">{g.ident('snake')}()</span></code></a> {g.sentence()}</p>")
        elif r == 1:
            out.append(f'<dl class="py function">\n<dt class="sig sig-object py" id="{g.ident("snake")}">\n<span class="sig-name descname"><span class="pre">{g.ident("snake")}</span></span><span class="sig-paren">(</span><em class="sig-param"><span class="n"><span class="pre">{g.ident("snake")}</span></span></em><span class="sig-paren">)</span></dt>\n<dd><p>{g.paragraph(1, 3)}</p>\n</dd></dl>')
        else:
            out.append(f'<div class="highlight-python3 notranslate"><div class="highlight"><pre><span></span><span class="gp">&gt;&gt;&gt; </span><span class="kn">import</span> <span class="nn">{g.pick(NOUNS)}</span>\n<span class="gp">&gt;&gt;&gt; </span><span class="n">{g.ident("snake")}</span><span class="p">(</span><span class="mi">{g.n(0, 99)}</span><span class="p">)</span>\n</pre></div>\n</div>')
    out += ["</section>", "      </div>", "    </div>", f'    <div class="footer">&#169; <a href="../copyright.html">Copyright</a> {g.n(2001, 2026)}, {g.pick(COMPANIES)}.</div>', "  </body>", "</html>"]
    return "\n".join(out) + "\n", g.pick(["html", "html", "htm"])


LITERALS = ["1", "'x%'", "(1, 2, 3)", ":param", "?"]


def sql_statements(g):
    out = []
    t = [g.ident("snake") for _ in range(4)]
    for _ in range(g.n(1, 5)):
        r = g.n(0, 5)
        if r == 0:
            cols = ", ".join(g.pick([f"{g.pick(['a', 'b', 't1', 't2'])}.{g.ident('snake')}", g.ident("snake"), f"count(*) AS {g.ident('snake')}", f"sum({g.ident('snake')})"]) for _ in range(g.n(1, 6)))
            out.append(f"{g.pick(['SELECT', 'select'])} {cols}\n{g.pick(['FROM', 'from'])} {t[0]} a\n{g.pick(['LEFT JOIN', 'JOIN', 'INNER JOIN'])} {t[1]} b ON a.{g.ident('snake')} = b.id\n{g.pick(['WHERE', 'where'])} {g.ident('snake')} {g.pick(['=', '>', '<>', 'IN', 'LIKE'])} {g.pick(LITERALS)}\n{g.pick(['GROUP BY 1', 'ORDER BY 2 DESC', 'LIMIT 10', ''])};")
        elif r == 1:
            out.append(f"CASE\n    WHEN {g.ident('snake')} = {g.n(0, 9)} THEN '{g.word()}'\n    WHEN {g.ident('snake')} IS NULL THEN NULL\n    ELSE {g.ident('snake')}\nEND")
        elif r == 2:
            name = g.ident("snake")
            out.append(f"CREATE {g.pick(['OR REPLACE ', ''])}{g.pick(['PROCEDURE', 'FUNCTION'])} {name}({g.ident('snake')} {g.pick(['INT', 'integer', 'VARCHAR(20)', 'text'])})\n{g.pick(['RETURNS integer AS $$', 'AS', 'LANGUAGE plpgsql AS $$', ''])}\nBEGIN\n    DECLARE {g.ident('snake')} {g.pick(['INT', 'integer'])};\n    {g.pick(['UPDATE ' + t[2] + ' SET ' + g.ident('snake') + ' = ' + g.ident('snake') + ' + 1', 'INSERT INTO ' + t[3] + ' VALUES (1, 2)', 'SELECT 1 INTO ' + g.ident('snake')])};\n    IF {g.ident('snake')} > {g.n(0, 99)} THEN\n        RETURN {g.n(0, 9)};\n    END IF;\nEND{g.pick([';', '; $$;', ''])}")
        elif r == 3:
            out.append(f"-- {g.sentence(2, 6)}\nWITH {g.ident('snake')} AS (\n  SELECT * FROM {t[0]} WHERE {g.ident('snake')} IS NOT NULL\n)\nSELECT * FROM {g.ident('snake')};")
        elif r == 4:
            out.append(f"UPDATE {t[2]} SET {g.ident('snake')} = {g.pick(['NULL', '0', 'now()', repr(g.word())])} WHERE id = {g.n(1, 999)};\nDELETE FROM {t[3]} WHERE {g.ident('snake')} < {g.n(0, 99)};")
        else:
            out.append(f"insert into {t[1]} ({', '.join(g.ident('snake') for _ in range(3))}) values ({g.n(0, 9)}, '{g.word()}', {g.pick(['null', 'true', '1.5'])});")
    return "\n\n".join(out) + "\n", g.pick(["sql", "sql", "ddl", "psql"])


def cert_dump(g):
    """`openssl x509 -text` output, often before the PEM it describes."""
    hexline = lambda k: ":".join(g.hexs(2) for _ in range(k))
    out = ["Certificate:", "    Data:", "        Version: 3 (0x2)", "        Serial Number:", f"            {hexline(g.n(8, 18))}",
           f"        Signature Algorithm: {g.pick(['sha256WithRSAEncryption', 'ecdsa-with-SHA256', 'ED25519'])}",
           f"        Issuer: C = {g.pick(['XY', 'US', 'DE'])}, O = {g.pick(COMPANIES)}, CN = {g.pick(NOUNS)}-ca", "        Validity",
           f"            Not Before: {g.pick(['Jan', 'Aug', 'Oct'])} {g.n(1, 28)} {g.time()} {g.n(2010, 2026)} GMT", f"            Not After : {g.pick(['Jan', 'Aug', 'Oct'])} {g.n(1, 28)} {g.time()} {g.n(2027, 2040)} GMT",
           f"        Subject: C = {g.pick(['XY', 'US'])}, L = {g.pick(CITIES)}, CN = {g.pick(['localhost', g.pick(NOUNS) + '.' + g.pick(DOMAINS)])}", "        Subject Public Key Info:",
           f"            Public Key Algorithm: {g.pick(['rsaEncryption', 'id-ecPublicKey'])}", f"                Public-Key: ({g.pick([256, 2048, 3072])} bit)", "                Modulus:"]
    out += [f"                    {hexline(15)}:" for _ in range(g.n(2, 10))]
    out += ["                Exponent: 65537 (0x10001)", "        X509v3 extensions:", "            X509v3 Subject Alternative Name: ",
            f"                DNS:{g.pick(NOUNS)}.{g.pick(DOMAINS)}, IP Address:{g.ip()}", "            X509v3 Basic Constraints: critical", "                CA:FALSE",
            f"    Signature Algorithm: {g.pick(['sha256WithRSAEncryption', 'ecdsa-with-SHA256'])}", f"    Signature Value:"] + [f"        {hexline(18)}" for _ in range(g.n(2, 8))]
    text = "\n".join(out) + "\n"
    text += pem("CERTIFICATE", g.b64(g.pick([780, 1100])))
    if g.chance(0.4):
        text = pem(g.pick(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]), g.b64(g.pick([121, 1218]))) + text
    return text, g.pick(["pem", "pem", "crt"])


def legacy_encrypted_pem(g):
    body = g.b64(g.pick([1190, 1218, 121]))
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    label = g.pick(["RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY"])
    return (f"-----BEGIN {label}-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: {g.pick(['AES-128-CBC', 'DES-EDE3-CBC', 'AES-256-CBC'])},{g.hexs(32).upper()}\n\n"
            + "\n".join(lines) + f"\n-----END {label}-----\n"), g.pick(["pem", "key"])


def rest_doc(g):
    """Technical documentation in reStructuredText or Markdown."""
    md = g.chance(0.35)
    out = []
    title = g.sentence(2, 6).rstrip(".")
    if md:
        out += [f"# {title}", ""]
    else:
        if g.chance(0.5):
            out += [f".. _{g.ident('snake')}:", ""]
        bar = g.pick(["*", "=", "#"]) * len(title)
        out += ([bar] if g.chance(0.5) else []) + [title, bar, ""]
        if g.chance(0.5):
            out += [f":Author: {g.name()}", f":Release: {g.n(0, 3)}.{g.n(0, 12)}", ""]
    for _ in range(g.n(2, 7)):
        r = g.n(0, 5)
        if r == 0:
            head = g.sentence(2, 5).rstrip(".")
            out += ([f"## {head}"] if md else [head, g.pick(["=", "-", "~"]) * len(head)]) + [""]
        elif r == 1:
            code = [f"    {g.pick(['>>> ', '$ ', ''])}{g.ident('snake')}({g.pick(['', repr(g.word()), str(g.n(0, 9))])})" for _ in range(g.n(1, 5))]
            out += (["```"] + [c[4:] for c in code] + ["```"] if md else [g.pick(["::", ".. code-block:: python", f"{g.sentence(3, 8).rstrip('.')}::"]), ""] + code) + [""]
        elif r == 2:
            out += [f"{'*' if md else g.pick(['*', '-'])} {g.sentence(3, 10)}" for _ in range(g.n(2, 5))] + [""]
        elif r == 3 and not md:
            out += [f".. {g.pick(['note', 'versionadded', 'seealso', 'warning', 'versionchanged'])}:: {g.pick(['', str(g.n(2, 3)) + '.' + str(g.n(0, 12))])}", "", "   " + wrap(g.paragraph(1, 2), 70).replace("\n", "\n   "), ""]
        else:
            # Wrapped prose with inline markup in most paragraphs: what
            # tells documentation from a book's wrapped prose.
            for _ in range(g.n(1, 3)):
                para = g.paragraph(2, 6)
                words = para.split()
                for _ in range(g.n(1, 4)):
                    i = g.n(0, len(words) - 1)
                    words[i] = g.pick([f"``{g.ident('snake')}``", f":func:`{g.ident('snake')}`", f":mod:`{g.pick(NOUNS)}`", f"`{g.ident('snake')}`", f":pep:`{g.n(200, 700)}`",
                                       f":class:`{g.ident('pascal')}`", f":issue:`{g.n(1000, 99999)}`", f"*{g.pick(NOUNS)}*", f":meth:`{g.ident('snake')}.{g.ident('snake')}`"]) if not md else g.pick([f"`{g.ident('snake')}`", f"[{g.pick(NOUNS)}](https://{g.pick(DOMAINS)}/{g.pick(NOUNS)})", f"**{g.pick(NOUNS)}**"])
                if g.chance(0.3):
                    words[-1] = words[-1].rstrip(".!?:") + "::"
                out += [wrap(" ".join(words), g.pick([70, 72, 76, 79, 79])), ""]
    if not md and g.chance(0.3):
        out += [f"* {g.pick([':issue:', ':gh:', ':pep:'])}`{g.n(100, 99999)}`: {wrap(g.sentence(4, 14), 70)}" for _ in range(g.n(2, 8))]
    return "\n".join(out), g.pick(["rst", "rst", "txt", "md"]) if not md else g.pick(["md", "markdown"])


def agreement(g):
    a, b = f"{g.pick(COMPANIES)} {g.pick(['Ltd', 'Inc.', 'BV', 'GmbH'])}", f"{g.pick(COMPANIES)} {g.pick(['Ltd', 'LLC', 'S.A.', 'plc'])}"
    out = [g.pick(["Mutual non-disclosure agreement", "SERVICES AGREEMENT", "Consulting agreement", "Memorandum of understanding", "Lease agreement"]),
           f"{g.pick(['Between', 'This agreement is made between'])} {a} and {b}, {g.pick(['signed', 'dated', 'effective'])} {g.date()}."]
    for i in range(g.n(2, 7)):
        clause = f"{i + 1}. {g.pick(['Term', 'Confidentiality', 'Obligations', 'Governing law', 'Termination', 'Notices', 'Schedule ' + 'ABC'[g.n(0, 2)]])}"
        out += ["", clause, f"Each party {g.pick(['shall', 'will', 'agrees to'])} {g.sentence(6, 14).lower()} {g.sentence()}"]
    if g.chance(0.5):
        out += ["", f"Signed for {a}: {g.name()}", f"Signed for {b}: {g.name()}"]
    return "\n".join(out) + "\n", g.pick(["pdf", "docx", "txt", "doc"])


def notes_with_commands(g):
    out = [f"{g.sentence(2, 6).rstrip('.')} {g.pick(['(notes)', '', '- notes', '(kept for the migration only)'])}", ""]
    for _ in range(g.n(1, 4)):
        out.append(g.sentence(4, 12))
        if g.chance(0.6):
            out.append(f"  {g.pick(['export ', '$ ', ''])}{g.pick(['kubectl get pods -n ' + g.pick(NOUNS), 'git pull', 'make deploy', g.ident('upper') + '=' + g.word(), 'ssh ' + g.pick(NOUNS) + '.' + g.pick(DOMAINS), 'aws s3 ls s3://' + g.pick(NOUNS)])}")
        out.append(g.sentence(3, 9) if g.chance(0.6) else "")
    return "\n".join(out) + "\n", g.pick(["txt", "txt", "md", ""])


def dated_measurements(g):
    sep = g.pick([",", ",", "\t"])
    cols = ["date"] + g.r.sample(["precipitation", "temp_max", "temp_min", "wind", "weather", "co2", "temperature", "anomaly", "humidity", "visibility"], g.n(1, 5))
    out = [sep.join(cols)]
    for _ in range(g.n(10, 100)):
        out.append(sep.join([g.pick([g.date(), g.date() + " " + g.time()[:5], f"{g.n(1880, 2026)}"])] + [g.pick(["sun", "rain", "fog", "snow", "drizzle"]) if c == "weather" else f"{g.r.uniform(-20, 420):.{g.n(0, 2)}f}" for c in cols[1:]]))
    return "\n".join(out) + "\n", g.pick(["csv", "csv", "tsv"])


def licence_header(g, lang):
    """A licence comment block at the top of a source file."""
    mark = {"python": "#", "ruby": "#", "shell": "#", "perl": "#", "r": "#"}.get(lang)
    body = [f"Copyright (c) {g.n(1995, 2026)} {g.pick(COMPANIES)} {g.pick(['Inc.', 'contributors', 'Authors'])}. All rights reserved."] + wrap(g.paragraph(1, 3), 72).split("\n")
    if mark:
        return "\n".join(f"{mark} {l}".rstrip() for l in body) + "\n\n"
    return "/* " + "\n   ".join(body) + "\n */\n\n" if g.chance(0.5) else "/*\n" + "\n".join(f" * {l}" for l in body) + "\n */\n\n"


def with_families(base, families, share):
    """A category's generator: its first families, and with probability
    `share` one of the families added later."""
    def make(g):
        if g.chance(share):
            return g.pick(families)(g)
        return base(g)
    return make


def source_with_licence(g):
    text, ext = source_code(g)
    lang = "python" if ext in ("py", "rb", "sh", "pl", "r", "coffee", "jl", "ex", "ps1", "nim", "cr") else "c"
    return licence_header(g, lang) + text, ext




# ------------------------------------------------ round two (issue 19, tuning part)
#
# Real source files are longer and denser than the first families' snippets
# (classes, docstrings, macros, headers, modules of a library), and real
# documentation and books are prose whose words differ (a register each,
# see REGISTERS). Written from the languages' and formats' own references.

def in_register(make, register):
    """A family whose running text is in `register` (see REGISTERS)."""
    def with_register(g):
        g.register = register
        try:
            return make(g)
        finally:
            g.register = None
    return with_register


def py_module(g):
    """A Python module of a library: docstring, imports, constants, classes
    with documented methods, decorators, exceptions, comprehensions."""
    out = []
    if g.chance(0.5):
        out += [f"# {l}" for l in wrap(g.paragraph(1, 2), 72).split("\n")] + [""]
    out += ['"""' + g.sentence(3, 9), ""] + wrap(g.paragraph(1, 3), 72).split("\n") + ['"""', ""] if g.chance(0.7) else []
    mods = g.r.sample(["os", "re", "sys", "time", "logging", "threading", "collections", "functools", "itertools", "json", "socket", "unittest", "typing", "contextlib", "warnings"], g.n(2, 6))
    out += [f"import {m}" for m in mods]
    if g.chance(0.7):
        out += [f"from {g.pick(['.', '..', ''])}{g.ident('snake')} import {', '.join(g.ident('pascal' if g.chance(0.5) else 'snake') for _ in range(g.n(1, 3)))}"]
    out += [""]
    if g.chance(0.5):
        out += [f"__all__ = [{', '.join(repr(g.ident('pascal')) for _ in range(g.n(1, 4)))}]", ""]
    if g.chance(0.5):
        out += [f"{g.ident('upper')} = {g.pick([str(g.n(0, 4096)), repr(g.word()), 'None', 'True', '(' + ', '.join(str(g.n(0, 99)) for _ in range(3)) + ')'])}" for _ in range(g.n(1, 4))] + [""]
    out.append("logSys = getLogger(__name__)" if g.chance(0.2) else "")
    for _ in range(g.n(1, 3)):
        cls = g.ident("pascal")
        base = g.pick(["object", "Exception", "unittest.TestCase", g.ident("pascal"), "dict"])
        out += ["", f"class {cls}({base}):" if g.chance(0.8) else f"class {cls}:"]
        if g.chance(0.7):
            out += [f'    """{g.sentence(3, 10)}', ""] + ["    " + l for l in wrap(g.paragraph(1, 2), 68).split("\n")] + ['    """', ""]
        attrs = [g.ident("snake") for _ in range(g.n(2, 5))]
        out += ["    def __init__(self, " + ", ".join(f"{a}={g.pick(['None', '0', 'False', repr(g.word())])}" for a in attrs[:2]) + "):"]
        out += [f"        self.{'_' if g.chance(0.5) else ''}{a} = {g.pick([a, 'None', '[]', '{}', 'threading.Lock()', a + ' or ' + str(g.n(1, 9))])}" for a in attrs]
        for _ in range(g.n(1, 5)):
            m = g.ident("snake")
            out.append("")
            if g.chance(0.25):
                out.append(f"    @{g.pick(['property', 'staticmethod', 'classmethod', 'contextlib.contextmanager', 'functools.lru_cache()'])}")
            args = ", ".join(g.ident("snake") for _ in range(g.n(0, 3)))
            out.append(f"    def {m}(self{', ' + args if args else ''}):")
            if g.chance(0.6):
                out.append(f'        """{g.sentence(3, 12)}"""')
            for _ in range(g.n(1, 8)):
                a, b = g.pick(attrs), g.ident("snake")
                out += g.pick([
                    [f"        {b} = self.{a}.get({repr(g.word())}, {g.n(0, 9)})"],
                    [f"        if {b} is None:", f"            raise {g.pick(['ValueError', 'KeyError', 'TypeError', 'RuntimeError'])}({repr(g.sentence(2, 6))} % ({b},))"],
                    [f"        for {b} in self.{a}:", f"            self.{g.pick(attrs)}.append({b})"],
                    [f"        with self.{a}:", f"            {b} = [x for x in {g.pick(attrs)} if x.{g.ident('snake')}]"],
                    ["        try:", f"            {b} = {g.pick(mods)}.{g.ident('snake')}({g.pick(attrs)})", f"        except {g.pick(['OSError', 'ValueError', 'Exception'])} as e:", f"            logSys.{g.pick(['error', 'debug', 'warning'])}({repr(g.sentence(2, 6) + ' %s')}, e)"],
                    [f"        # {g.sentence(3, 10)}"],
                    [f"        self.assertEqual({b}, {g.pick([repr(g.word()), str(g.n(0, 99)), 'None'])})"],
                    [f"        return {g.pick(['self.' + a, b, 'len(self.' + a + ')', 'True', '{' + repr(g.word()) + ': ' + b + '}'])}"],
                ])
    if g.chance(0.3):
        out += ["", "", 'if __name__ == "__main__":', f"    {g.pick(['unittest.main()', 'main()', 'sys.exit(main(sys.argv[1:]))'])}"]
    return "\n".join(out) + "\n", g.pick(["py", "py", "py", ""])


def c_module(g):
    """C of a library: licence block, includes, macros, typedefs, structs,
    static inline helpers with pointer arithmetic, tables, C++ guards."""
    P = g.ident("upper").split("_")[0]
    header = g.chance(0.35)
    out = ["/* Copyright " + str(g.n(1995, 2026)) + " " + g.pick(COMPANIES) + " Inc. All Rights Reserved.", "", "   Distributed under " + g.pick(["MIT", "BSD", "Apache 2.0"]) + " license.", "*/", ""]
    if g.chance(0.6):
        out += ["/* " + l for l in wrap(g.paragraph(1, 2), 70).split("\n")[:1]] + ["   " + l for l in wrap(g.paragraph(1, 2), 70).split("\n")] + ["*/", ""]
    guard = f"{P}_{g.ident('upper')}_H_"
    if header:
        out += [f"#ifndef {guard}", f"#define {guard}", ""]
    out += [f"#include {g.pick(['<stdint.h>', '<stddef.h>', '<string.h>', '<stdlib.h>'])}"] + [f'#include "{g.pick(["../common/", "./", ""])}{g.ident("snake")}.h"' for _ in range(g.n(1, 5))] + [""]
    if g.chance(0.5):
        out += ["#if defined(__cplusplus) || defined(c_plusplus)", 'extern "C" {', "#endif", ""]
    out += [f"#define {P}_{g.ident('upper')} {g.pick([str(g.n(0, 65535)), hex(g.n(0, 65535)), '(1u << ' + str(g.n(1, 24)) + ')', '((x) >> ' + str(g.n(1, 8)) + ')'])}" for _ in range(g.n(0, 5))] + [""]
    t = g.pick(["uint8_t", "uint16_t", "uint32_t", "size_t", "int", "double", f"{P}_BOOL"])
    for _ in range(g.n(1, 5)):
        r = g.n(0, 4)
        name = g.ident("pascal")
        if r == 0:
            fields = [f"  {g.pick(['uint8_t', 'uint16_t', 'uint32_t', 'size_t', 'const uint8_t*', 'int', 'double'])} {g.ident('snake')}{g.pick(['', '', '[' + str(g.n(2, 256)) + ']'])};" for _ in range(g.n(2, 7))]
            out += [f"/* {g.sentence(3, 10)} */", f"typedef struct {name} {{"] + fields + [f"}} {name};", ""]
        elif r == 1 and not header:
            out += [f"static const {t} k{name}[{g.n(8, 256)}] = {{"] + ["  " + ", ".join(str(g.n(0, 9999)) + g.pick(["", "u", ".0f"]) for _ in range(g.n(6, 10))) + "," for _ in range(g.n(2, 8))] + ["};", ""]
        elif header and r in (1, 2):
            out += [f"/* {g.sentence(3, 10)} */", f"{g.pick([P + '_INTERNAL ', '', 'extern '])}{t} {P}{name}({', '.join(g.pick(['const uint8_t* data', 'size_t len', f'{name}* s', 'int quality', 'uint32_t* out']) for _ in range(g.n(1, 4)))});", ""]
        else:
            args = [g.pick(["const uint8_t* data", "size_t len", f"{g.ident('pascal')}* s", "int quality", "uint32_t* out", "size_t pos"]) for _ in range(g.n(1, 4))]
            out += [f"/* {l} */" if i == 0 else f"   {l} */" for i, l in enumerate([g.sentence(4, 12)])]
            out += [f"static {g.pick([P + '_INLINE ', 'inline ', ''])}{t} {g.ident('pascal')}({', '.join(args)}) {{"]
            vs = [g.ident("snake") for _ in range(g.n(1, 4))]
            out += [f"  {g.pick(['size_t', 'uint32_t', 'int', 'const uint8_t*'])} {v} = {g.pick(['0', 'len', 'data[pos]', 's->' + g.ident('snake'), '*out'])};" for v in vs]
            for _ in range(g.n(1, 6)):
                v = g.pick(vs)
                out += g.pick([
                    [f"  for ({v} = 0; {v} < len; ++{v}) {{", f"    out[{v}] = (uint32_t)data[{v}] << {g.n(1, 24)};", "  }"],
                    [f"  if ({P}_PREDICT_FALSE({v} == 0)) return {g.pick(['0', P + '_FALSE', '-1'])};"],
                    [f"  {v} += {g.pick(['s->' + g.ident('snake'), str(g.n(1, 64)), '(len >> 1)'])};"],
                    [f"  /* {g.sentence(3, 10)} */"],
                    [f"  memcpy(&s->{g.ident('snake')}[{v}], data, len);"],
                    [f"  {P}_DCHECK({v} <= {g.n(1, 1024)});"],
                ])
            out += [f"  return {g.pick(vs)};", "}", ""]
    if g.chance(0.5):
        out += ["#if defined(__cplusplus) || defined(c_plusplus)", '}  /* extern "C" */', "#endif", ""]
    if header:
        out += [f"#endif  /* {guard} */"]
    return "\n".join(out) + "\n", "h" if header else g.pick(["c", "c", "cc"])


def js_module(g):
    """An ES module of a front-end library: licence banner, imports,
    constants, a class with static getters, private methods, events."""
    N = g.ident("pascal")
    out = ["/**", " * --------------------------------------------------------------------------", f" * {g.pick(COMPANIES)} {g.pick(['v5', 'v4', 'v2'])} ({g.ident('snake')}.js)", f" * Licensed under MIT (https://{g.pick(DOMAINS)}/license)", " * --------------------------------------------------------------------------", " */", ""]
    out += [f"import {g.ident('pascal')} from './{g.ident('snake')}.js'" for _ in range(g.n(1, 4))]
    out += [f"import {{ {', '.join(g.ident('camel') for _ in range(g.n(1, 3)))} }} from './util/index.js'", "", "/**", " * Constants", " */", ""]
    out += [f"const NAME = '{g.pick(NOUNS)}'", f"const DATA_KEY = 'bs.{g.pick(NOUNS)}'", "const EVENT_KEY = `.${DATA_KEY}`"]
    out += [f"const {g.ident('upper')} = {g.pick([repr(g.word()), str(g.n(0, 5000)), '`' + g.pick(NOUNS) + '${EVENT_KEY}`', 'true'])}" for _ in range(g.n(2, 8))] + [""]
    out += ["const Default = {"] + [f"  {g.ident('camel')}: {g.pick(['true', 'false', str(g.n(0, 500)), repr(g.word()), 'null'])}," for _ in range(g.n(2, 5))] + ["}", "", "/**", " * Class definition", " */", ""]
    out += [f"class {N} extends {g.pick(['BaseComponent', 'EventEmitter', g.ident('pascal')])} {{", "  constructor(element, config) {", "    super(element, config)", ""]
    out += [f"    this._{g.ident('camel')} = {g.pick(['null', 'false', '0', '[]', 'this._getConfig(config)'])}" for _ in range(g.n(2, 5))] + ["  }", "", "  // Getters", "  static get Default() {", "    return Default", "  }", "", "  static get NAME() {", "    return NAME", "  }", ""]
    for _ in range(g.n(2, 6)):
        m = g.ident("camel")
        out += [f"  {'_' if g.chance(0.4) else ''}{m}({', '.join(g.ident('camel') for _ in range(g.n(0, 2)))}) {{"]
        for _ in range(g.n(1, 6)):
            v = g.ident("camel")
            out += g.pick([
                [f"    const {v} = this._element.querySelector({g.ident('upper')})"],
                [f"    if (!this._{g.ident('camel')}) {{", "      return", "    }"],
                [f"    EventHandler.trigger(this._element, {g.ident('upper')})"],
                [f"    this._queueCallback(() => this._{g.ident('camel')}(), this._element, {g.pick(['true', 'false'])})"],
                [f"    // {g.sentence(3, 10)}"],
                [f"    for (const {v} of this._{g.ident('camel')}) {{", f"      {v}.classList.{g.pick(['add', 'remove', 'toggle'])}(CLASS_NAME_{g.ident('upper')})", "    }"],
            ])
        out += ["  }", ""]
    out += ["}", "", "/**", " * Data API implementation", " */", "", f"EventHandler.on(document, EVENT_CLICK_DATA_API, SELECTOR_{g.ident('upper')}, function (event) {{", f"  {N}.getOrCreateInstance(this).toggle()", "})", "", f"export default {N}"]
    return "\n".join(out) + "\n", g.pick(["js", "js", "mjs", "ts"])


def sphinx_doc(g):
    """A page of reStructuredText documentation as Sphinx projects write
    them: overlined titles, field lists, comments, `.. contents::`, long
    prose with roles and literals, `::` blocks of code, interactive
    sessions, and definition lists."""
    title = g.sentence(2, 6).rstrip(".!?:")
    bar = g.pick(["*", "="]) * (len(title) + 2)
    out = [bar, f" {title}", bar, ""] if g.chance(0.5) else [title, "=" * len(title), ""]
    if g.chance(0.5):
        out += [f":{g.pick(['Author', 'Editor', 'Release', 'Date'])}: {g.name()}", ""]
    if g.chance(0.4):
        out += [f".. {g.pick(['only:: html', 'contents::', 'highlight:: python3', 'module:: ' + g.pick(NOUNS), 'currentmodule:: ' + g.pick(NOUNS)])}", ""]
        if g.chance(0.5):
            out += ["   .. contents::", ""]
    if g.chance(0.3):
        out += [".. " + g.sentence(3, 8), ""] + [f"   * {l}" if i == 0 else f"   {l}" for i, l in enumerate(wrap(g.paragraph(1, 3), 66).split("\n"))] + [""]
    for _ in range(g.n(2, 6)):
        head = g.sentence(3, 9).rstrip(".!:") + g.pick(["", "", "?"])
        out += ["", head, g.pick(["-", "=", "~", "^"]) * len(head), ""]
        for _ in range(g.n(1, 4)):
            r = g.n(0, 5)
            if r <= 2:
                para = g.paragraph(2, 6)
                if g.chance(0.4):
                    para = para.rstrip(".!?:") + "::"
                out += wrap(para, g.pick([72, 76, 79])).split("\n") + [""]
                if para.endswith("::"):
                    out += [f"   {l}" for l in g.pick([
                        [f"{g.ident('snake')} = {g.ident('snake')}({repr(g.word())})", f"if {g.ident('snake')}:", f"    {g.ident('snake')}.{g.ident('snake')}()"],
                        [f">>> import {g.pick(NOUNS)}", f">>> {g.ident('snake')}({g.n(0, 9)})", f"{g.pick([repr(g.word()), str(g.n(0, 999)), 'True', '[1, 2, 3]'])}"],
                        [f"$ python -m {g.pick(NOUNS)} --{g.pick(NOUNS)} {g.word()}"],
                    ])] + [""]
            elif r == 3:
                out += [f".. {g.pick(['note', 'versionadded', 'versionchanged', 'seealso', 'deprecated', 'warning'])}:: {g.pick(['', '3.' + str(g.n(0, 12))])}", ""] + ["   " + l for l in wrap(g.paragraph(1, 2), 70).split("\n")] + [""]
            elif r == 4:
                for _ in range(g.n(2, 4)):
                    out += [f"``{g.ident('snake')}``" if g.chance(0.5) else g.pick(NOUNS).title()] + ["   " + l for l in wrap(g.paragraph(1, 2), 70).split("\n")] + [""]
            else:
                out += [f"* {wrap(g.sentence(5, 16), 72)}".replace("\n", "\n  ") for _ in range(g.n(2, 6))] + [""]
    return "\n".join(out), g.pick(["rst", "txt", "rst.txt", ""])


def readme(g):
    """A project README in Markdown: badges, install and usage sections,
    prose, code fences, links."""
    name = g.ident("snake").replace("_", "-")
    out = [f"# {name}", ""]
    if g.chance(0.5):
        out += [f"[![{g.pick(['Build', 'CI', 'PyPI', 'npm'])}](https://img.shields.io/badge/{g.pick(NOUNS)}-{g.pick(['passing', 'green', 'v' + str(g.n(1, 9))])}.svg)](https://{g.pick(DOMAINS)}/{name})" for _ in range(g.n(1, 3))] + [""]
    out += wrap(g.paragraph(1, 4), 80).split("\n") + [""]
    for _ in range(g.n(2, 5)):
        out += [f"## {g.pick(['Installation', 'Usage', 'Features', 'Contributing', 'License', 'Documentation', 'Getting started', 'Support'])}", ""]
        r = g.n(0, 2)
        if r == 0:
            out += ["```" + g.pick(["", "sh", "bash", "python", "js"]), g.pick([f"pip install {name}", f"npm install {name}", f"$ {name} --{g.pick(NOUNS)}", f"import {name.replace('-', '_')}"]), "```", ""]
        elif r == 1:
            out += [f"- {g.sentence(4, 12)}" for _ in range(g.n(2, 6))] + [""]
        out += wrap(g.paragraph(1, 3), 80).split("\n") + [""]
    return "\n".join(out), g.pick(["md", "md", "rst", ""])


def timed_measurements(g):
    """Tables of measurements over time: ISO timestamps, a station or place
    column, readings (weather, air, energy)."""
    cols = g.r.sample(["pressure", "temperature", "wind", "precipitation", "temp_max", "temp_min", "humidity", "co2", "dew_point", "solar", "visibility"], g.n(2, 5))
    place = g.chance(0.4)
    out = [",".join((["location"] if place else []) + ["date"] + cols + (["weather"] if g.chance(0.3) else []))]
    year, loc = g.n(1990, 2024), g.pick(CITIES)
    weather = "weather" in out[0]
    for i in range(g.n(20, 120)):
        stamp = g.pick([f"{year}-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}", f"{year}-01-{1 + i // 24 % 28:02d}T{i % 24:02d}:00:00"])
        row = ([loc] if place else []) + [stamp] + [f"{g.r.uniform(-10, 1040 if c == 'pressure' else 40):.1f}" for c in cols] + ([g.pick(["sun", "rain", "fog", "drizzle", "snow"])] if weather else [])
        out.append(",".join(row))
    return "\n".join(out) + "\n", "csv"


def pyproject(g):
    """pyproject.toml (PEP 517/518/621): build system, project table, tool tables."""
    name = g.ident("snake").replace("_", "-")
    q = lambda v: json.dumps(v)
    requires = ", ".join(q(x) for x in g.r.sample(["setuptools>=61", "wheel", "hatchling", "poetry-core>=1.0", "flit_core>=3.4"], g.n(1, 2)))
    out = ["[build-system]", f"requires = [{requires}]", f"build-backend = {q(g.pick(['setuptools.build_meta', 'hatchling.build', 'poetry.core.masonry.api']))}", "",
           "[project]", f"name = {q(name)}", f"version = {q(f'{g.n(0, 9)}.{g.n(0, 20)}.{g.n(0, 9)}')}", f"description = {q(g.sentence(3, 9))}", 'readme = "README.md"', f"requires-python = {q('>=3.' + str(g.n(7, 10)))}",
           f"license = {{text = {q(g.pick(['MIT', 'Apache-2.0', 'BSD-3-Clause']))}}}", f"authors = [{{name = {q(g.name())}, email = {q(g.email())}}}]", "classifiers = ["]
    out += [f"    {q(c)}," for c in g.r.sample(["Programming Language :: Python :: 3", "License :: OSI Approved :: MIT License", "Operating System :: OS Independent", "Intended Audience :: Developers", "Topic :: Communications :: Email"], g.n(2, 5))] + ["]"]
    out += ["dependencies = ["] + [f"    {q(g.pick(NOUNS) + g.pick(['', '>=1.0', '~=2.3', '<4']))}," for _ in range(g.n(1, 5))] + ["]", ""]
    for _ in range(g.n(1, 4)):
        out += [f"[tool.{g.pick(['pytest.ini_options', 'black', 'ruff', 'mypy', 'setuptools.packages.find', 'coverage.run', 'project.scripts'])}]"] + [f"{g.ident('snake').replace('_', '-') if g.chance(0.5) else g.ident('snake')} = {g.pick([str(g.n(0, 120)), 'true', q(g.word()), q([g.word(), g.word()])])}" for _ in range(g.n(1, 5))] + [""]
    return "\n".join(out), "toml"


def ci_workflow(g):
    """GitHub Actions workflows: triggers, a matrix, steps with `uses`, `with` and multi-line `run`."""
    out = [f"name: {g.pick(['CI', 'Tests', 'Release', 'Build and test', 'Lint'])}", "", "on:", "  push:", f"    branches: [ {g.pick(['main', 'master', 'develop'])} ]", "  pull_request:", "", "jobs:", f"  {g.pick(['build', 'test', 'lint', 'deploy'])}:", f"    runs-on: {g.pick(['ubuntu-latest', '${{ matrix.os }}', 'ubuntu-22.04'])}"]
    if g.chance(0.6):
        out += ["    strategy:", "      matrix:", f"        python-version: [{', '.join(json.dumps('3.' + str(v)) for v in range(g.n(7, 9), 13))}]"]
    out += ["", "    steps:", f"    - uses: actions/checkout@v{g.n(2, 4)}", f"    - name: {g.sentence(2, 5).rstrip('.')}", f"      uses: actions/setup-python@v{g.n(2, 5)}", "      with:", "        python-version: ${{ matrix.python-version }}"]
    for _ in range(g.n(1, 4)):
        out += [f"    - name: {g.sentence(2, 5).rstrip('.')}", "      run: |"] + [f"        {g.pick(['python -m pip install --upgrade pip', 'pip install -r requirements.txt', 'pytest --cov', 'make test', 'flake8 . --count --show-source', 'python setup.py sdist'])}" for _ in range(g.n(1, 3))]
    if g.chance(0.4):
        out += ["      env:", f"        {g.ident('upper')}: ${{{{ secrets.{g.ident('upper')} }}}}"]
    return "\n".join(out) + "\n", g.pick(["yml", "yaml"])


def mime_skeleton(g):
    """Messages that are mostly MIME structure (RFC 2046): few or no
    address headers, nested multiparts with one-word bodies, repeated or
    empty boundaries, message/rfc822 parts, as mail software's tests and
    odd mailers produce."""
    b = g.pick(["BOUNDARY", "ABCDE", "XXXX", "simple boundary", f"=={g.hexs(10)}==", f"_{g.pick(NOUNS)}_{g.n(1, 99)}"])
    h = []
    if g.chance(0.6):
        h += [f"From: {g.email()}", f"To: {g.email()}"]
    if g.chance(0.6):
        h.append(f"Subject: {g.pick(['test', 'Test message', 'Re: ', 'Here is your ' + g.pick(NOUNS), g.sentence(2, 5).rstrip('.')])}")
    if g.chance(0.4):
        h.append(f"Date: {g.pick(['Fri', 'Mon', 'Tue'])}, {g.n(1, 28)} {g.pick(['Apr', 'Jun', 'Oct'])} {g.n(1996, 2012)} {g.time()} {g.pick(['-0400', '+0000', '-0700 (PDT)'])}")
    h += [g.pick(["MIME-Version: 1.0", "MIME-version: 1.0", "Mime-Version: 1.0"])] if g.chance(0.7) else []
    h.append(f"Content-Type: multipart/{g.pick(['mixed', 'mixed', 'alternative', 'digest', 'related', 'signed'])}; boundary={g.pick([b, chr(34) + b + chr(34)])}")
    h = g.r.sample(h, len(h)) if g.chance(0.3) else h
    parts = []
    for _ in range(g.n(1, 5)):
        what = g.n(0, 4)
        if what == 0:
            parts.append(f"--{b}\nContent-Type: {g.pick(['text/plain', 'text/x-one', 'text/x-two', 'text/html', 'text/plain; charset=us-ascii'])}\n\n{g.pick(['Blah', 'hello', 'one', 'two', g.sentence(2, 6), ''])}\n")
        elif what == 1:
            parts.append(f"--{b}\nContent-Type: message/rfc822\n\n{g.pick(['From', 'Subject', 'To'])}: {g.pick([g.email(), g.sentence(1, 3)])}\n\n{g.pick(['Yadda yadda', 'hello', g.sentence(2, 6)])}\n")
        elif what == 2:
            body = g.b64(g.n(30, 300))
            parts.append(f"--{b}\nContent-Type: {g.pick(['image/gif', 'application/octet-stream', 'audio/basic'])}\nContent-Transfer-Encoding: base64\n\n" + "\n".join(body[i:i + 76] for i in range(0, len(body), 76)) + "\n")
        elif what == 3:
            parts.append(f"--{b}\n")
        else:
            inner = f"{b}.inner"
            parts.append(f"--{b}\nContent-Type: multipart/alternative; boundary=\"{inner}\"\n\n--{inner}\nContent-Type: text/plain\n\n{g.pick(['Blah', g.sentence(2, 5)])}\n--{inner}\nContent-Type: text/html\n\n<p>{g.pick(['Blah', g.sentence(2, 5)])}</p>\n--{inner}--\n")
    return "\n".join(h) + "\n\n" + g.pick(["", "This is a multi-part message in MIME format.\n\n", "preamble\n\n"]) + "\n".join(parts) + f"\n--{b}--\n" + g.pick(["", "\nepilogue\n"]), g.pick(["txt", "eml", ""])


def list_digest(g):
    """Mailing-list digests (RFC 1153 and Mailman's): a masthead, today's
    topics, the messages, and the list's footer rule."""
    lst = g.pick(NOUNS).title()
    dom = g.pick(DOMAINS)
    out = []
    if g.chance(0.6):
        out += [f"From: {lst.lower()}-request@{dom}", f"To: {lst.lower()}@{dom}", f"Subject: {lst} digest, Vol {g.n(1, 30)} #{g.n(1, 900)} - {g.n(2, 9)} msgs", f"Date: {g.pick(['Fri', 'Mon'])}, {g.n(1, 28)} Apr {g.n(1998, 2012)} {g.time()} -0400", f"X-Mailer: Mailman v2.{g.n(0, 1)}.{g.n(1, 9)}", ""]
    out += [f"Send {lst} mailing list submissions to", f"\t{lst.lower()}@{dom}", "", "To subscribe or unsubscribe via the World Wide Web, visit", f"\thttp://www.{dom}/mailman/listinfo/{lst.lower()}",
            "or, via email, send a message with subject or body 'help' to", f"\t{lst.lower()}-request@{dom}", "", "You can reach the person managing the list at", f"\t{lst.lower()}-admin@{dom}", "",
            "When replying, please edit your Subject line so it is more specific", f"than \"Re: Contents of {lst} digest...\"", "", "Today's Topics:", ""]
    n = g.n(2, 6)
    subjects = [g.sentence(2, 5).rstrip(".!?") for _ in range(n)]
    out += [f"   {i + 1}. {s} ({g.name()})" for i, s in enumerate(subjects)] + ["", ""]
    for s in subjects:
        out += ["--__--__--", "", f"Message: {subjects.index(s) + 1}", f"From: {g.name()} <{g.email()}>", f"To: {lst.lower()}@{dom}", f"Subject: {s}", f"Date: {g.date()}", "", g.paragraph(0, 2) or "hello", "", ""]
    out += ["_" * 47, f"{lst} mailing list", f"{lst.lower()}@{dom}", f"http://www.{dom}/mailman/listinfo/{lst.lower()}", "", "", f"End of {lst} Digest"]
    return "\n".join(out) + "\n", g.pick(["txt", "", "eml"])


def ini_interpolated(g):
    """INI files of Python's configparser style with `%(name)s`
    interpolation, multi-line values (regular expressions, commands), and
    long comment headers: filter and action definitions of log watchers."""
    out = [f"# {g.pick(COMPANIES)} {g.pick(['filter', 'action', 'jail'])} for {g.pick(NOUNS)}", "#"] + [f"# {l}" for l in wrap(g.paragraph(1, 2), 70).split("\n")] + ["#", ""]
    out += ["[INCLUDES]", "", f"# {g.sentence(4, 12)}", f"before = {g.pick(NOUNS)}-common.conf", f"after = {g.pick(NOUNS)}.local", "", "[Definition]", ""]
    var = [g.ident("snake") for _ in range(g.n(2, 4))]
    for v in var:
        if g.chance(0.6):
            out.append(f"# {g.sentence(4, 14)}")
        out.append(f"{v} = " + g.pick([r"(?:\S+ )?", "%(__prefix_line)s", r"\s*(?:\[\d+\])?", "<HOST>", g.word()]))
    out += [""]
    key = g.pick(["failregex", "actionban", "actionstart", "ignoreregex", "actioncheck"])
    out.append(f"# {g.sentence(4, 14)}")
    lines = []
    for _ in range(g.n(1, 6)):
        if key.startswith("action"):
            args = g.pick(["-I <chain> -s <ip> -j <blocktype>", '"Subject: [Fail2Ban] <name>: banned <ip>"', '--data "ip=<ip>" <url>', "-D f2b-<name>"])
            lines.append(f"{g.pick(['<iptables>', 'printf %%b', 'curl -s', 'echo', '/usr/sbin/' + g.pick(NOUNS)])} " + args)
        else:
            tail = g.pick(["", r"\s*$", r" port \d+"])
            lines.append(f"^%({g.pick(var)})s {g.pick(['authentication failure', 'Invalid user', 'rejected RCPT', 'Failed password for'])} (?:{g.pick(NOUNS)}|" + r"\S+) from <HOST>(?::\d+)?" + tail)
    out.append(f"{key} = " + "\n            ".join(lines))
    out += ["", f"ignoreregex = {g.pick(['', '^%(' + var[0] + ')s ' + g.word()])}", ""]
    if g.chance(0.5):
        out += ["[Init]", ""] + [f"# {g.sentence(3, 10)}" if g.chance(0.4) else "" for _ in range(1)] + [f"{g.ident('snake')} = {g.pick([str(g.n(1, 600)), g.word(), '%(' + g.ident('snake') + ')s'])}" for _ in range(g.n(1, 4))] + [""]
    if g.chance(0.5):
        out += ["# Author: " + g.name()]
    return "\n".join(out) + "\n", g.pick(["conf", "conf", "local", "ini"])



def package_init(g):
    """A package's `__init__.py` or a small module: editor mode lines, a
    licence notice in comments, then dunder metadata and a few imports."""
    out = []
    if g.chance(0.6):
        out += ["# emacs: -*- mode: python; py-indent-offset: 4; indent-tabs-mode: t -*-", "# vi: set ft=python sts=4 ts=4 sw=4 noet :", ""]
    out += [f"# This file is part of {g.ident('pascal')}.", "#"]
    out += [f"# {l}" for l in wrap(f"{g.ident('pascal')} is free software; you can redistribute it and/or modify it under the terms of the licence it is shipped with. " + g.paragraph(1, 3), 72).split("\n")] + ["", ""]
    out += [f"__author__ = \"{g.name()}\"", f"__copyright__ = \"Copyright (c) {g.n(2004, 2020)}-{g.n(2021, 2026)} {g.name()}\"", f"__license__ = \"{g.pick(['GPL', 'MIT', 'BSD', 'Apache 2.0'])}\"", ""]
    out += [f"from .{g.ident('snake')} import {g.ident('pascal')}" for _ in range(g.n(0, 4))]
    if g.chance(0.5):
        out += ["", f"{g.ident('snake')} = {g.ident('pascal')}()", ""]
    return "\n".join(out) + "\n", "py"


def c_table(g):
    """C lookup tables: an array of struct initialisers or of hexadecimal
    numbers, generated by a tool, under a short comment."""
    P = g.ident("upper").split("_")[0]
    name = g.ident("pascal")
    out = [f"/* Copyright {g.n(2000, 2026)} {g.pick(COMPANIES)} Inc. All Rights Reserved.", "", f"   Distributed under {g.pick(['MIT', 'BSD'])} license.", "*/", "", f"/* {g.sentence(4, 12)} */", ""]
    guard = f"{P}_{g.ident('upper')}_H_"
    out += [f"#ifndef {guard}", f"#define {guard}", "", f'#include "{g.ident("snake")}.h"', "", f"static const struct {name} k{name}[{g.n(100, 1000)}] = {{"]
    width = g.n(3, 7)
    for _ in range(g.n(40, 200)):
        cells = [g.pick([f"0x{g.n(0, 255):02x}", f"0x{g.n(0, 65535):04x}", str(g.n(0, 9))]) for _ in range(width)]
        out.append("  { " + ", ".join(cells) + " },")
    out += ["};", "", f"#endif  /* {guard} */"]
    return "\n".join(out) + "\n", g.pick(["h", "h", "c", "inc"])


def long_select(g):
    """One long generated query on a single line (report builders and ORMs write these)."""
    n = g.n(20, 200)
    cols = ", ".join(f"case when {g.pick(['i', 'x', 'id'])} = {k} then 1 else {k} end as col{k}" if g.chance(0.7) else f"sum({g.ident('snake')}) as s{k}" for k in range(n))
    return f"select {cols} from {g.ident('snake')}{g.pick(['', ' where id > ' + str(g.n(0, 99)), ' group by 1'])}\n", g.pick(["sql", "sql", ""])



CATEGORIES = {
    "ebook": in_register(with_families(ebook, [ebook_wrapped], 0.5), "narrative"),
    "email": with_families(email, [mime_mail, mime_mail, mime_skeleton, list_digest], 0.45),
    "encryption_keys": with_families(encryption_keys, [cert_dump, legacy_encrypted_pem], 0.2),
    "financial": with_families(financial, [ofx, ledger_journal, prices_table], 0.4),
    "json": json_doc,
    "application_logs": application_logs,
    "database": with_families(database, [sql_statements, sql_statements, long_select], 0.35),
    "source_code": with_families(source_code, [source_with_licence, in_register(py_module, "technical"), in_register(c_module, "technical"), in_register(js_module, "technical"), in_register(package_init, "technical"), c_table], 0.5),
    "web_languages": with_families(web_languages, [scss, xml_ns, doc_page], 0.4),
    "configuration": in_register(with_families(configuration, [pyproject, ci_workflow, ini_interpolated], 0.25), "technical"),
    "personal_records": with_families(personal_records, [payroll_sheet, jsonl_people, labelled_records, people_register], 0.45),
    "other": with_families(other, [in_register(rest_doc, "technical"), in_register(sphinx_doc, "technical"), in_register(sphinx_doc, "technical"), in_register(readme, "technical"),
                                   agreement, in_register(notes_with_commands, "technical"), dated_measurements, timed_measurements], 0.6),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--docs", type=int, default=400)
    args = parser.parse_args()
    for category, make in CATEGORIES.items():
        # One generator per category: adding a category does not change another's documents.
        g = Gen(random.Random(f"{args.seed}:{category}"))
        for i in range(args.docs):
            text, ext = make(g)
            split = "test" if i % 4 == 3 else "train"
            folder = os.path.join(args.out, split, category)
            os.makedirs(folder, exist_ok=True)
            name = f"{i:04d}" + (f".{ext}" if ext else "")
            with open(os.path.join(folder, name), "w", encoding="utf-8", newline="\n") as f:
                f.write(text)


if __name__ == "__main__":
    main()
