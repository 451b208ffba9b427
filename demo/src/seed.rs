//! The figures the Lipetsk seed publishes for the region before ISU was rolled out, which the
//! demo region reproduces (`zemstvo demo --report` prints them beside the generated region's).
//! SMEV answer times and volumes per agency are `zemstvo_core`'s `AGENCY_PROFILES`.

/// «До тиражирования ИСУ средняя доля возвратов 2%, после внедрения – 0,7%.»
pub const RETURNS_PERCENT: f64 = 2.0;

/// «До тиражирования ИСУ средняя доля отклонений от стандарта 25%, после внедрения – 5,3%.»
pub const OFF_STANDARD_PERCENT: f64 = 25.0;

/// «До тиражирования ИСУ средняя доля сотрудников, выполняющих норматив составляла 64%,
/// после внедрения – 75%.» (home-care social workers)
pub const SOCIAL_WORKERS_MEETING_NORM_PERCENT: f64 = 64.0;

/// One specialist's morning in the seed's daily information task (12.04.2022): «в работе у
/// Вас находится 70 обращений», «распределено, но не взято Вами в работу 23 обращения».
pub const DESK_IN_WORK: u64 = 70;
pub const DESK_NOT_TAKEN: u64 = 23;
