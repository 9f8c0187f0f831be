"""Name lists for synthetic municipalities: common Swedish given and family names (many with
å, ä, ö and é, so encodings get exercised), school names and streets. Invented places only."""

from __future__ import annotations

GIVEN_FEMALE: tuple[str, ...] = (
    "Alice", "Maja", "Elsa", "Astrid", "Wilma", "Freja", "Ebba", "Selma", "Alma", "Olivia",
    "Ella", "Saga", "Agnes", "Vera", "Signe", "Märta", "Ines", "Lilly", "Klara", "Stella",
    "Ellen", "Linnéa", "Tuva", "Ida", "Juni", "Åsa", "Birgitta", "Anna", "Maria", "Karin",
    "Sofia", "Emma", "Hanna", "Sara", "Lena", "Kerstin", "Ingrid", "Malin", "Jenny", "Thérèse",
    "Fatima", "Amira", "Leyla", "Zeynep", "Hiba", "Noor", "Yasmin", "Aisha", "Mariam", "Nadia",
    "Tyra", "Siri", "Svea", "Ronja", "Göta", "Mölle", "Ylva", "Björg", "Solveig", "Chloé",
)  # fmt: skip

GIVEN_MALE: tuple[str, ...] = (
    "William", "Liam", "Noah", "Hugo", "Lucas", "Oliver", "Alexander", "Elias", "Adam", "Matteo",
    "Nils", "Vincent", "Theo", "Leo", "Ludvig", "Arvid", "Oscar", "Harry", "Viktor", "Sixten",
    "Albin", "Malte", "Loke", "Måns", "Björn", "Göran", "Åke", "Örjan", "Jöns", "Sölve",
    "Mårten", "Gösta", "Håkan", "Anders", "Johan", "Erik", "Lars", "Per", "Mikael", "Fredrik",
    "Jonas", "Magnus", "Mohammed", "Ali", "Omar", "Yusuf", "Ibrahim", "Ahmed", "Hassan", "Mustafa",
    "Emil", "Edvin", "Axel", "Felix", "Isak", "Jöran", "Östen", "Tor", "Love", "André",
)  # fmt: skip

FAMILY: tuple[str, ...] = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson",
    "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Olofsson", "Lindström", "Lindqvist",
    "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist",
    "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg",
    "Wallin", "Engström", "Eklund", "Danielsson", "Lundin", "Håkansson", "Björk", "Bergman",
    "Gunnarsson", "Holm", "Wikström", "Samuelsson", "Isaksson", "Fransson", "Bergqvist",
    "Nyström", "Holmberg", "Arvidsson", "Löfgren", "Söderberg", "Nyberg", "Blomqvist",
    "Claesson", "Nordström", "Mårtensson", "Lundström", "Viklund", "Björklund", "Eliasson",
    "Pålsson", "Berggren", "Sandström", "Lund", "Nordin", "Ström", "Åberg", "Hermansson",
    "Ekström", "Holmgren", "Sundberg", "Hedlund", "Dahlberg", "Hellström", "Sjögren",
    "Abrahamsson", "Falk", "Öberg", "Källström", "Bäckström", "Näslund", "Hägglund", "Öhman",
    "Åström", "Yilmaz", "Mohammed", "Ali", "Hassan", "Ahmadi", "Nguyen", "Kowalski", "Abdi",
    "Hussein", "Rahimi", "Novak", "Müller", "Lövgren", "Ågren",
)  # fmt: skip

SCHOOL_NAMES: tuple[str, ...] = (
    "Björkdalsskolan", "Ängsskolan", "Åkerskolan", "Ekbackeskolan", "Sjöängsskolan",
    "Tallåsskolan", "Lövåsskolan", "Bäckaskolan", "Kvarnskolan", "Hagaskolan", "Skogsskolan",
    "Strandskolan", "Ljungskolan", "Rönnskolan", "Åsskolan", "Hammarskolan", "Vikskolan",
    "Bergsskolan", "Solskolan", "Moskolan", "Lundaskolan", "Källeskolan", "Hedskolan",
    "Nässkolan", "Furuskolan", "Granskolan", "Lindskolan", "Almskolan", "Önneskolan",
    "Mölleskolan", "Älvskolan", "Hälleskolan", "Dalskolan", "Kyrkbyskolan", "Stensskolan",
    "Höjdskolan", "Fågelsångsskolan", "Lärkskolan", "Tranåsskolan", "Björkängsskolan",
    "Östbyskolan", "Västanåskolan", "Norrgårdsskolan", "Sörbyskolan", "Kärrskolan",
    "Myrängsskolan", "Gärdesskolan", "Tjärnskolan", "Ödeshögskolan", "Vännässkolan",
)  # fmt: skip

GYMNASIUM_NAMES: tuple[str, ...] = (
    "Älvdalsgymnasiet", "Kunskapsgymnasiet Väst", "Sjöstadsgymnasiet", "Ängslyckegymnasiet",
    "Teknikgymnasiet Norr", "Björkhagagymnasiet", "Strömgymnasiet", "Hälsogymnasiet",
)  # fmt: skip

NAME_PREFIXES: tuple[str, ...] = ("", "Norra ", "Södra ", "Östra ", "Västra ", "Nya ")

STREETS: tuple[str, ...] = (
    "Storgatan", "Kyrkogatan", "Skolgatan", "Järnvägsgatan", "Ängsvägen", "Björkvägen",
    "Åsvägen", "Östergatan", "Västergatan", "Tallvägen", "Rönnvägen", "Lönnvägen", "Granvägen",
    "Hagavägen", "Sjövägen", "Bäckvägen", "Kvarnvägen", "Mejerivägen", "Prästgårdsvägen",
    "Solvägen", "Strandvägen", "Trädgårdsgatan", "Fältvägen", "Smedjegatan", "Lärkvägen",
    "Sparvvägen", "Tranvägen", "Ekbacken", "Älvvägen", "Hälsingegatan", "Måsvägen", "Göksvängen",
)  # fmt: skip

GY_PROGRAMMES: tuple[str, ...] = ("NA", "SA", "EK", "TE", "ES", "BF", "EE", "VO", "HA", "IN")
