//! Names, places and codes the demo region draws from: Russian surnames and given names,
//! Lipetsk districts and streets, measures, services, object kinds, signal sources.

pub(super) const SURNAMES: &[&str] = &[
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
];
pub(super) const MALE_NAMES: &[&str] = &[
    "Александр",
    "Сергей",
    "Дмитрий",
    "Андрей",
    "Алексей",
    "Игорь",
    "Олег",
    "Николай",
];
pub(super) const FEMALE_NAMES: &[&str] = &[
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Анна",
    "Мария",
    "Светлана",
];
pub(super) const PATRONYMICS: &[(&str, &str)] = &[
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Викторович", "Викторовна"),
    ("Николаевич", "Николаевна"),
    ("Петрович", "Петровна"),
    ("Иванович", "Ивановна"),
];
pub(super) const DISTRICTS: &[&str] =
    &["Советский", "Октябрьский", "Правобережный", "Левобережный"];
pub(super) const STREETS: &[&str] = &[
    "ул. Ленина",
    "ул. Гагарина",
    "пр. Победы",
    "ул. Космонавтов",
    "ул. Катукова",
    "пр. Мира",
];
pub(super) const MEASURES: &[&str] = &[
    "child-allowance",
    "large-family-support",
    "housing-subsidy",
    "veteran-compensation",
    "disabled-child-allowance",
    "survivor-child-allowance",
];
pub(super) const UNIT_NAMES: &[&str] = &[
    "Отдел назначения мер социальной поддержки",
    "Отдел социального обслуживания на дому",
    "Отдел по работе с семьями",
    "Отдел компенсаций и субсидий",
];
pub(super) const SERVICES: &[&str] = &[
    "household-help",
    "medical-escort",
    "food-delivery",
    "hygiene-care",
];
pub(super) const OBJECT_KINDS: &[&str] = &[
    "residential",
    "commercial",
    "construction-site",
    "land-plot",
];
pub(super) const SIGNAL_SOURCES: &[&str] = &["drone", "appeal", "violation", "registry-mismatch"];
