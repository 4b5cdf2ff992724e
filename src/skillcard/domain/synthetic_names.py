"""Names for the synthetic registry: a UK construction workforce, made up from built-in lists.

Every name here is a common given name or surname; no list is of real people, and pairing them
at random makes people who do not exist. The pools follow, roughly, where the UK's
construction workers come from (mostly British and Irish, then Polish, Romanian, South Asian
and others), so names with accents, apostrophes, hyphens and spaces turn up as often as they
would in a real register and every name-matching path gets exercised.

Within each list the commoner names come first: the seeder draws early entries more often.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _names(text: str) -> tuple[str, ...]:
    # Comma-separated so that names with spaces ("Ó Súilleabháin", "De Luca") fit; duplicates
    # are dropped so that no name gets double weight by accident.
    return tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))


@dataclass(frozen=True)
class NamePool:
    """Given names and surnames of one background, and its share of the workforce."""

    origin: str
    share: float
    men: tuple[str, ...]
    women: tuple[str, ...]
    surnames: tuple[str, ...]
    # (ending, women's ending) where a language inflects surnames: Kowalski -> Kowalska.
    feminine_endings: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def surname_for_woman(self, surname: str) -> str:
        for ending, feminine in self.feminine_endings:
            if surname.endswith(ending):
                return surname[: -len(ending)] + feminine
        return surname


WOMEN_SHARE = 0.12  # about one construction worker in eight is a woman
MIDDLE_NAME_SHARE = 0.2

POOLS: tuple[NamePool, ...] = (
    NamePool(
        origin="British",
        share=0.775,
        men=_names(
            "James, David, John, Michael, Paul, Mark, Andrew, Richard, Daniel, Robert, Peter, "
            "Stephen, Christopher, Thomas, Matthew, Lee, Gary, Craig, Darren, Jason, Wayne, "
            "Dean, Scott, Carl, Kevin, Neil, Ian, Stuart, Martin, Anthony, Steven, Jamie, Ryan, "
            "Liam, Connor, Jack, Harry, Oliver, Charlie, George, Joshua, Samuel, Benjamin, Luke, "
            "Adam, Nathan, Jordan, Callum, Kieran, Aaron, Jake, Lewis, Alex, Alexander, "
            "William, Joseph, Edward, Henry, Kyle, Ben, Sam, Tom, Dan, Chris, Matt, Rob, Dave, "
            "Steve, Jon, Philip, Graham, Keith, Barry, Colin, Trevor, Nigel, Terry, Alan, "
            "Brian, Kenneth, Derek, Roy, Malcolm, Gordon, Alistair, Hamish, Fraser, Euan, Ewan, "
            "Angus, Gareth, Rhys, Dafydd, Gethin, Iwan, Owain, Huw, Dylan, Morgan, Aled, Cai, "
            "Sean, Declan, Patrick, Brendan, Conor, Tyler, Bradley, Reece, Ashley, Shane, "
            "Gavin, Mason, Ethan, Noah, Leo, Archie, Alfie, Freddie, Toby, Max, Elliot, "
            "Harvey, Dominic, Jonathan, Nicholas, Timothy, Russell, Glen, Marcus, Tony, Ricky, "
            "Danny, Josh, Louis, Jay, Billy, Joe, Elliott, Cameron, Rory, Finlay, Lachlan"
        ),
        women=_names(
            "Sarah, Emma, Laura, Rebecca, Claire, Lisa, Michelle, Nicola, Rachel, Gemma, Kelly, "
            "Amy, Hannah, Sophie, Charlotte, Jessica, Lauren, Chloe, Megan, Ellie, Amelia, "
            "Olivia, Emily, Grace, Lucy, Katie, Jade, Natalie, Samantha, Joanne, Helen, Karen, "
            "Susan, Julie, Louise, Victoria, Zoe, Holly, Abigail, Ffion, Cerys, Seren, Rhian, "
            "Eilidh, Kirsty, Morag, Fiona, Ailsa, Beth, Jodie, Anne-Marie, Mary-Jane"
        ),
        surnames=_names(
            "Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, "
            "Roberts, Robinson, Thompson, Wright, Walker, White, Edwards, Hughes, Green, Hall, "
            "Lewis, Harris, Clarke, Jackson, Wood, Turner, Martin, Cooper, Hill, Ward, Morris, "
            "Moore, Clark, Lee, King, Baker, Harrison, Morgan, Allen, James, Scott, Phillips, "
            "Watson, Davis, Parker, Price, Bennett, Young, Griffiths, Mitchell, Kelly, Cook, "
            "Carter, Richardson, Bailey, Collins, Bell, Shaw, Murphy, Miller, Cox, Richards, "
            "Marshall, Anderson, Simpson, Ellis, Adams, Wilkinson, Foster, Chapman, Powell, "
            "Webb, Rogers, Gray, Mason, Hunt, Campbell, Matthews, Owen, Palmer, Holmes, Mills, "
            "Barnes, Knight, Lloyd, Butler, Russell, Barker, Fisher, Stevens, Jenkins, Murray, "
            "Dixon, Harvey, Graham, Pearson, Fletcher, Walsh, Gibson, Howard, Andrews, "
            "Stewart, Elliott, Reynolds, Saunders, Payne, Fox, Ford, Pearce, Day, Brooks, West, "
            "Lawrence, Cole, Atkinson, Bradley, Spencer, Dawson, Ball, Burton, O'Brien, Watts, "
            "Rose, Booth, Perry, Ryan, Grant, Wells, Armstrong, Francis, Rees, Hayes, Hart, "
            "Hudson, Newman, Barrett, Webster, Hunter, Gregory, Carr, Lowe, Page, Marsh, Riley, "
            "Dunn, Woods, Parsons, Berry, Stone, Reid, Holland, Hawkins, Harding, Porter, "
            "Robertson, Newton, Oliver, Reed, Kennedy, Williamson, Bird, Gardner, Dean, Lane, "
            "Cooke, Bates, Henderson, Parry, Burgess, Bishop, Walton, Burns, Nicholson, "
            "Shepherd, Ross, Cross, Long, Freeman, Warren, Nicholls, Hamilton, Byrne, Sutton, "
            "McDonald, Yates, Hodgson, Robson, Curtis, Hopkins, O'Connor, Harper, Coleman, "
            "Watkins, Moss, McCarthy, Chambers, O'Neill, Griffin, Sharp, Hardy, Wheeler, "
            "Potter, Osborne, Johnston, Gordon, Doyle, Wallace, George, Jordan, Hutchinson, "
            "Lucas, Pritchard, MacLeod, MacKenzie, McLean, Fraser, Sinclair, Buchanan, "
            "Ferguson, Cameron, Llewellyn, Rowlands, Pryce, Vaughan, Howells, MacDonald, "
            "McGregor, McIntyre, Smith-Jones, Lloyd-Davies, Owen-Jones, Harding-Smith, "
            "Fox-Taylor, Wynne-Jones, Clarke-Williams, Price-Evans, Ap Rhys, St John, O'Hara, "
            "O'Donnell, D'Arcy, Le Fevre"
        ),
    ),
    NamePool(
        origin="Irish",
        share=0.03,
        men=_names(
            "Seán, Pádraig, Ciarán, Eoin, Cian, Darragh, Oisín, Colm, Diarmuid, Niall, Ronan, "
            "Donal, Fergal, Tadhg, Cathal, Éamonn, Séamus, Liam, Conor, Aidan, Killian, Fionn"
        ),
        women=_names("Niamh, Siobhán, Aoife, Róisín, Caoimhe, Orla, Sinéad, Saoirse, Clodagh"),
        surnames=_names(
            "Murphy, Kelly, O'Sullivan, Walsh, O'Brien, Byrne, Ryan, O'Connor, O'Neill, "
            "O'Reilly, Doyle, McCarthy, Gallagher, O'Doherty, Kennedy, Lynch, Murray, Quinn, "
            "Moore, McLoughlin, O'Carroll, Connolly, Daly, O'Connell, Brennan, Fitzgerald, "
            "Kavanagh, Ó Súilleabháin, Ó Briain, Mac Mathúna, Ó Ceallaigh, Mac Giolla Phádraig"
        ),
    ),
    NamePool(
        origin="Polish",
        share=0.06,
        men=_names(
            "Piotr, Krzysztof, Tomasz, Paweł, Marcin, Michał, Łukasz, Grzegorz, Mariusz, "
            "Jakub, Adam, Rafał, Dariusz, Marek, Andrzej, Kamil, Wojciech, Sebastian, Damian, "
            "Robert, Mateusz, Przemysław, Sławomir, Jarosław, Zbigniew, Artur, Bartłomiej, "
            "Dawid, Szymon, Maciej"
        ),
        women=_names("Anna, Katarzyna, Agnieszka, Magdalena, Joanna, Małgorzata, Monika, Ewa"),
        surnames=_names(
            "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, "
            "Zieliński, Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, "
            "Wojciechowski, Kwiatkowski, Krawczyk, Kaczmarek, Piotrowski, Grabowski, "
            "Zając, Pawłowski, Michalski, Król, Wieczorek, Jabłoński, Wróbel, Nowakowski, "
            "Majewski, Olszewski, Stępień, Malinowski, Jaworski, Adamczyk, Dudek, Nowicki, "
            "Pawlak, Górski, Witkowski, Walczak, Sikora, Baran, Rutkowski, Michalak, Szewczyk, "
            "Ostrowski, Tomaszewski, Pietrzak, Zalewski, Wróblewski, Gołębiowski, Sadowski"
        ),
        feminine_endings=(("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")),
    ),
    NamePool(
        origin="Romanian",
        share=0.04,
        men=_names(
            "Andrei, Alexandru, Ionuț, Mihai, Florin, Marius, Adrian, Cristian, Gabriel, "
            "Ștefan, Vasile, Constantin, Gheorghe, Bogdan, Sorin, Cătălin, Dragoș, Nicolae, "
            "Ion, Daniel, Costel, Viorel, Răzvan, Ciprian"
        ),
        women=_names("Ioana, Elena, Andreea, Maria, Mihaela, Alina, Cristina"),
        surnames=_names(
            "Popescu, Ionescu, Popa, Radu, Dumitru, Stan, Stoica, Gheorghe, Matei, Ciobanu, "
            "Rusu, Munteanu, Constantin, Moldovan, Lungu, Florea, Dinu, Marin, Tudor, Ștefan, "
            "Niculescu, Bălan, Mureșan, Oprea, Voicu, Dobre, Roșu, Sârbu, Toma, Ene, "
            "Bălănescu, Țurcanu"
        ),
    ),
    NamePool(
        origin="Lithuanian",
        share=0.012,
        men=_names(
            "Tomas, Mindaugas, Darius, Andrius, Giedrius, Vytautas, Marius, Paulius, Jonas, "
            "Saulius, Rimantas, Žydrūnas, Arūnas, Kęstutis"
        ),
        women=_names("Rūta, Eglė, Jurgita, Aušra, Kristina"),
        surnames=_names(
            "Kazlauskas, Jankauskas, Petrauskas, Stankevičius, Vasiliauskas, Žukauskas, "
            "Butkus, Paulauskas, Urbonas, Kavaliauskas, Navickas, Ramanauskas, Savickas, "
            "Rimkus, Baranauskas, Šimkus, Žilinskas, Kairys"
        ),
        feminine_endings=(("ius", "ienė"), ("ys", "ienė"), ("us", "uvienė"), ("as", "ienė")),
    ),
    NamePool(
        origin="Bulgarian",
        share=0.01,
        men=_names(
            "Georgi, Ivan, Dimitar, Nikolay, Hristo, Stoyan, Petar, Todor, Plamen, Krasimir, "
            "Valentin, Atanas"
        ),
        women=_names("Maria, Desislava, Ivanka, Elena"),
        surnames=_names(
            "Ivanov, Georgiev, Dimitrov, Petrov, Nikolov, Hristov, Stoyanov, Todorov, Iliev, "
            "Vasilev, Atanasov, Petkov, Angelov, Kolev, Yordanov, Marinov"
        ),
        feminine_endings=(("ov", "ova"), ("ev", "eva")),
    ),
    NamePool(
        origin="Portuguese",
        share=0.015,
        men=_names(
            "João, José, António, Rui, Paulo, Tiago, Luís, Nuno, Bruno, Pedro, Fábio, Sérgio, "
            "Gonçalo, Vítor, Hélder"
        ),
        women=_names("Ana, Inês, Mariana, Sónia"),
        surnames=_names(
            "Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Sousa, "
            "Gonçalves, Gomes, Lopes, Marques, Alves, Almeida, Ribeiro, Pinto, Carvalho, "
            "Teixeira, Moreira, Correia, Mendes, Nunes, Conceição, Simões, Araújo"
        ),
    ),
    NamePool(
        origin="Spanish",
        share=0.01,
        men=_names(
            "José, Juan, Javier, Álvaro, Sergio, Raúl, Iñaki, Jesús, Alejandro, Pablo, Jorge"
        ),
        women=_names("María, Lucía, Carmen, Marta"),
        surnames=_names(
            "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, "
            "Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz, Álvarez, Núñez, Ibáñez, "
            "Domínguez, García López, Peña"
        ),
    ),
    NamePool(
        origin="Italian",
        share=0.01,
        men=_names(
            "Marco, Luca, Giuseppe, Giovanni, Francesco, Antonio, Alessandro, Davide, Matteo, "
            "Niccolò, Salvatore"
        ),
        women=_names("Giulia, Francesca, Chiara"),
        surnames=_names(
            "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, "
            "Bruno, Gallo, Conti, De Luca, Mancini, Lombardi, D'Angelo, Di Stefano"
        ),
    ),
    NamePool(
        origin="South Asian",
        share=0.025,
        men=_names(
            "Mohammed, Muhammad, Imran, Asif, Amir, Tariq, Zubair, Bilal, Hamza, Rajesh, "
            "Sanjay, Vikram, Arjun, Rohan, Harjit, Gurpreet, Jaswinder, Sukhdeep, Amandeep, "
            "Nadeem, Kamran, Rizwan, Ravi, Sunil, Ajay, Deepak, Faisal, Usman"
        ),
        women=_names("Priya, Aisha, Fatima, Simran, Anjali, Nadia"),
        surnames=_names(
            "Patel, Khan, Singh, Ahmed, Ali, Hussain, Shah, Sharma, Mistry, Chaudhry, Iqbal, "
            "Rahman, Islam, Akhtar, Mahmood, Kumar, Gill, Sandhu, Dhillon, Sidhu, Bains, Malik, "
            "Qureshi, Siddiqui, Anwar, Butt, Parmar, Chauhan, Desai, Joshi, Mehta, Rana, "
            "D'Souza, Fernandes"
        ),
    ),
    NamePool(
        origin="West African",
        share=0.013,
        men=_names(
            "Chinedu, Emeka, Oluwaseun, Tunde, Kwame, Kofi, Yaw, Kwabena, Femi, Segun, "
            "Ifeanyi, Chukwuemeka, Samuel, Daniel, Emmanuel, Kelechi, Babatunde, Olumide"
        ),
        women=_names("Blessing, Chioma, Abena, Ama, Ngozi, Folake"),
        surnames=_names(
            "Okafor, Adeyemi, Mensah, Owusu, Boateng, Asante, Okonkwo, Eze, Adebayo, "
            "Afolabi, Nwosu, Ogunleye, Bello, Danso, Appiah, Osei, Adjei, Akinola, Oyelaran, "
            "Ogunbanjo-Smith"
        ),
    ),
)
