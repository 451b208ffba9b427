# Тексты страниц zemstvo на русском языке. Второй язык — ещё один такой файл.
# Числа для выбора формы передаются как $count, уже отформатированные для показа — как $n.

app-name = Земство
skip-to-content = Перейти к основному содержимому
nav-label = Основное меню
nav-cabinet = Мои задачи
nav-unit = Подразделение
nav-dashboard = Аналитика
nav-plugins = Алгоритмы
signed-in-as = Вы вошли как { $name } ({ $role })
sign-out = Выйти
footer-text = Региональная платформа алгоритмов контроля. Данные демонстрационные, если не указано иное.
back-to-start = Вернуться на главную

role-administrator = администратор
role-manager = руководитель
role-employee = специалист
role-auditor = аудитор

## Вход

sign-in-title = Вход в систему
sign-in-lead = Войдите под учётной записью, которую выдал администратор региона, или по одноразовой ссылке.
sign-in-login = Логин
sign-in-password = Пароль
sign-in-submit = Войти
sign-in-expired = Сессия завершилась. Войдите снова — вы вернётесь на ту же страницу.
error-login-empty = Введите логин
error-password-empty = Введите пароль
error-sign-in-wrong = Неверный логин или пароль, либо учётная запись отключена
error-sign-in-throttled = Слишком много неудачных попыток входа. Подождите несколько минут или обратитесь к администратору.
error-summary-title = Есть ошибки

## Страницы ошибок

error-403-title = Нет доступа к этой странице
error-403-text = Ваша роль не позволяет открыть эту страницу. Если она нужна вам для работы, обратитесь к администратору региона.
error-404-title = Страница не найдена
error-404-text = Такой страницы нет или она вам недоступна. Проверьте адрес.
error-503-title = Сервис временно недоступен
error-503-text = База данных региона не отвечает. Попробуйте через минуту.
error-other-title = Запрос не выполнен
error-other-text = Не удалось выполнить запрос. Вернитесь на предыдущую страницу и попробуйте ещё раз.
error-csrf = Форма устарела или отправлена не со страницы системы. Откройте страницу заново и повторите действие.

## Задачи

cabinet-title = Мои задачи
cabinet-lead = { $count ->
    [0] У вас нет задач.
    [one] У вас { $n } задача.
    [few] У вас { $n } задачи.
   *[many] У вас { $n } задач.
}
cabinet-open = Открытых: { $n }, из них просроченных: { $overdue }.
tasks-caption = Задачи, новые сверху
col-task = Задача
col-algorithm = Алгоритм
col-due = Срок
col-status = Статус
col-assignee = Исполнитель
col-priority = Приоритет
col-action = Действие
overdue = просрочена
no-due = без срока

task-status-new = Новая
task-status-in_progress = В работе
task-status-done = Выполнена
task-status-rejected = Отклонена

priority-low = низкий
priority-normal = обычный
priority-high = высокий
priority-urgent = срочный

task-title = Задача № { $id }
task-summary = Сведения о задаче
task-created = Поставлена
task-records = Записи, по которым найдено отклонение
task-records-none = Записей к задаче не приложено.
col-record-kind = Вид записи
col-record-id = Номер
task-steps = Что сделать
task-history = История
task-history-none = Статус ещё не менялся.
task-history-reassigned = передана сотруднику { $name }
task-comments = Комментарии
task-comments-none = Комментариев пока нет.
task-actions = Действия
action-take = Взять в работу
action-done = Отметить выполненной
action-reject = Отклонить
action-reject-reason = Причина отклонения
action-reject-hint = Напишите, почему задача не требует исправления. Причина попадёт в историю задачи.
action-comment = Комментарий
action-comment-submit = Добавить комментарий
action-final = Задача закрыта: действий больше нет.
error-reason-empty = Укажите причину отклонения
error-reason-long = Причина не длиннее { $max } символов
error-comment-empty = Введите текст комментария
error-comment-long = Комментарий не длиннее { $max } символов
error-status-changed = Задача уже в другом статусе: обновите страницу.
done-taken = Задача взята в работу.
done-done = Задача отмечена выполненной.
done-rejected = Задача отклонена.
done-commented = Комментарий добавлен.
done-reassigned = Задача передана другому сотруднику.
back-to-tasks = Все мои задачи
back-to-unit = Задачи подразделения

entity-units = Подразделение
entity-employees = Сотрудник
entity-applications = Обращение
entity-application_events = Событие обращения
entity-smev_requests = Запрос СМЭВ
entity-visits = Визит
entity-citizens = Гражданин
entity-inspected_objects = Объект контроля
entity-object_signals = Сигнал по объекту

## Подразделение

unit-title = Задачи подразделения
unit-lead = { $count ->
    [one] В подразделении { $n } сотрудник.
    [few] В подразделении { $n } сотрудника.
   *[many] В подразделении { $n } сотрудников.
}
unit-overdue = Просроченные задачи
unit-overdue-none = Просроченных задач нет.
unit-by-employee = По сотрудникам
unit-load = { $count ->
    [0] открытых задач нет
    [one] { $n } открытая задача
    [few] { $n } открытые задачи
   *[many] { $n } открытых задач
}
unit-overdue-count = { $count ->
    [one] { $n } просрочена
   *[other] { $n } просрочено
}
unit-load-title = Нагрузка за { $count ->
    [one] { $n } день
    [few] { $n } дня
   *[many] { $n } дней
} против норматива
unit-load-lead = Норматив — из карточки сотрудника: сколько заявлений (у социальных работников — посещений) в месяц он должен обработать. Засчитываются заявления, по которым сотрудник принял решение, и посещения с отмеченными началом и окончанием за последние { $count ->
    [one] { $n } день
    [few] { $n } дня
   *[many] { $n } дней
}. Норматив выполнен, если сделано не меньше него.
unit-load-meeting = Норматив выполняют { $meeting } из { $count ->
    [one] { $n } сотрудника
   *[other] { $n } сотрудников
}, у которых он задан.
col-employee = Сотрудник
col-staff-role = Должность
col-load-done = Сделано
col-load-norm = Норматив в месяц
col-load-share = Выполнение
col-open-applications = Заявлений в работе
col-open-tasks = Открытых задач
col-overdue-tasks = Просрочено задач
load-done-visits = { $count ->
    [one] { $n } посещение
    [few] { $n } посещения
   *[many] { $n } посещений
}
load-done-applications = { $count ->
    [one] { $n } заявление
    [few] { $n } заявления
   *[many] { $n } заявлений
}
load-standing-met = норматив выполнен
load-standing-below = ниже норматива
load-standing-none = норматив не задан
staff-role-social-worker = социальный работник
staff-role-specialist = специалист
staff-role-manager = руководитель
unit-reassign = Передать
unit-reassign-to = Кому передать задачу { $id }
unit-reassign-submit = Передать
error-assignee-empty = Выберите сотрудника
error-assignee-outside = Этого сотрудника нельзя выбрать: он не из вашего подразделения или больше не работает

## Алгоритмы

plugins-title = Алгоритмы
plugins-lead = { $count ->
    [one] Установлен { $n } алгоритм.
    [few] Установлено { $n } алгоритма.
   *[many] Установлено { $n } алгоритмов.
}
col-plugin = Алгоритм
col-version = Версия
col-signer = Подпись
col-state = Состояние
col-grants = Разрешения
col-schedule = Расписание
col-next-run = Следующий запуск
state-enabled = Включён
state-disabled = Выключен
state-refused = Не загружается
schedule-none = нет
next-run-none = не запланирован
plugin-enable = Включить
plugin-disable = Выключить
plugin-enabled-done = Алгоритм { $name } включён.
plugin-disabled-done = Алгоритм { $name } выключен: новые запуски не начнутся.
plugin-summary = Сведения
plugin-kind = Вид
plugin-sha = Контрольная сумма пакета
plugin-refused = Почему не загружается
plugin-last-run = Последний запуск
plugin-config = Настройки
plugin-config-lead = Пустое поле означает значение по умолчанию.
plugin-config-none = У алгоритма нет настроек.
plugin-config-submit = Сохранить настройки
plugin-config-saved = Настройки сохранены: они действуют со следующего запуска.
plugin-config-default = По умолчанию: { $value }
plugin-config-range = Допустимо от { $min } до { $max }
plugin-config-min = Не меньше { $min }
plugin-config-max = Не больше { $max }
plugin-history = История установки
plugin-grants = Разрешения
plugin-grants-legend = Что алгоритму разрешено
plugin-grants-hint = Алгоритм получает доступ только к отмеченному. Если снять разрешение, которое он запрашивает, его запуски будут отказывать ему в этом доступе.
plugin-grants-none = Алгоритм не запрашивает разрешений.
plugin-grant-undeclared = выдано раньше, алгоритм его не запрашивает
plugin-grants-submit = Сохранить разрешения
plugin-grants-done = Разрешения сохранены: они действуют со следующего запуска.
plugin-schedule-label = Когда запускать
plugin-schedule-hint = Выражение cron в часовом поясе региона: минута, час, день месяца, месяц, день недели. Например, «0 7 * * 1-5» — в 07:00 по рабочим дням. Пустое поле — без расписания.
plugin-schedule-submit = Сохранить расписание
plugin-schedule-done = Расписание сохранено.
error-schedule = Введите расписание в виде cron из пяти частей, например 0 7 * * 1-5
error-grants-unknown = Можно выбрать только из разрешений, которые запрашивает алгоритм
error-plugin-stale = Алгоритм изменили, пока вы редактировали. Проверьте значения и сохраните ещё раз.
cap-data-staff = Читать подразделения и сотрудников
cap-data-applications = Читать заявления и историю их статусов
cap-data-smev = Читать запросы СМЭВ со временем отправки и ответа
cap-data-visits = Читать визиты на дом с отметками GPS
cap-data-citizens = Читать координаты, район и согласие граждан без персональных данных
cap-data-citizens-personal = Читать персональные данные граждан: ФИО, адрес, телефон, эл. почту, СНИЛС, дату рождения
cap-data-objects = Читать объекты контроля и сигналы по ним
cap-tasks-create = Ставить задачи сотрудникам
cap-notify-send = Отправлять уведомления гражданам
cap-smev-send = Отправлять запросы СМЭВ
cap-assessments-write = Записывать категории риска объектов контроля
cap-visits-record-exceptions = Записывать замечания по визитам на дом
flag-yes = да
flag-no = нет
error-config-integer = Введите целое число
error-config-decimal = Введите число, например 1,5
error-config-flag = Выберите «да» или «нет»
error-config-range = Введите число от { $min } до { $max }
error-config-min = Введите число не меньше { $min }
error-config-max = Введите число не больше { $max }
error-config-choice = Выберите одно из значений
error-config-required = Заполните поле
error-config-other = Значение не подходит: { $detail }
kind-deviation-check = проверка отклонений
kind-eligibility-rule = правило назначения
kind-risk-scoring = категории риска
kind-geo-check = проверка визитов

## Аналитика

dashboard-title = Аналитика
dashboard-period = За последние { $count ->
    [one] { $n } день
    [few] { $n } дня
   *[many] { $n } дней
}
dashboard-tasks = Выставлено задач
dashboard-algorithms = Используется алгоритмов
dashboard-employees = Охвачено сотрудников
dashboard-deviations = Выявлено отклонений
dashboard-correlation = Связь сроков рассмотрения с ответами ведомств
dashboard-correlation-note = Коэффициент корреляции Пирсона между сроком рассмотрения заявления и сроком ответа ведомства по заявлениям, решённым за период: чем ближе к 1, тем сильнее сроки рассмотрения зависят от этого ведомства.
col-runs = Запусков
col-employees = Сотрудников
col-deviations = Отклонений
col-p90-days = 90-й процентиль
col-applications = Заявлений
col-correlation = Корреляция
dashboard-by-plugin = Задачи по алгоритмам
dashboard-by-plugin-chart = Число задач по алгоритмам за период
dashboard-smev = Запросы СМЭВ по ведомствам
dashboard-smev-chart = Средняя длительность ответа по ведомствам, дни
col-agency = Ведомство
col-requests = Запросов
col-answered = Отвечено
col-rejected = Отказов
col-pending = Ждут ответа
col-mean-days = Длительность ответа
col-tasks = Задач
days = { $count ->
    [one] { $n } день
    [few] { $n } дня
    [many] { $n } дней
   *[other] { $n } дня
}
no-answers = ответов нет
dashboard-empty = За период данных нет.
error-config-stale = Настройки алгоритма изменили, пока вы редактировали. Проверьте значения и сохраните ещё раз.
dashboard-period-label = Период
dashboard-show = Показать
table-region = Таблица, её можно прокручивать по горизонтали
agency-fns = ФНС
agency-pfr = ПФР
agency-sfr = СФР
agency-mvd = МВД
agency-zags = ЗАГС
agency-rosreestr = Росреестр
agency-fss = ФСС
agency-municipality = Муниципалитет
agency-gis-zhkh = ГИС ЖКХ
error-401-title = Войдите в систему
error-401-text = Чтобы открыть эту страницу, войдите в систему.
error-link-used = Эта ссылка для входа уже использована или устарела. Войдите с логином и паролем или попросите у администратора новую ссылку.
dashboard-weeks = Задачи по неделям
dashboard-weeks-chart = Число задач, выставленных алгоритмами, по неделям
col-week = Неделя
col-share = Доля
week-from = с { $date }
dashboard-smev-weeks = Запросы СМЭВ по неделям
dashboard-smev-weeks-chart = Средняя длительность ответа СМЭВ по всем ведомствам по неделям отправки, дни
dashboard-smev-weeks-note = В каждой клетке — число запросов, отправленных за неделю, и под ним средняя длительность ответа в днях (прочерк — ответов ещё нет).
dashboard-effects = Действие алгоритмов во времени
dashboard-effects-note = Доли, за которыми следят проверки ИСУ, по неделям. Красная пунктирная линия — день, когда алгоритм впервые включили (по журналу изменений). «До» и «после» считаются по неделям, целиком прошедшим до или после включения; неделя включения не входит ни в одну из них.
effect-enabled-at = включён { $date }
effect-enabled = Алгоритм { $plugin } впервые включён { $date }.
effect-never-enabled = Алгоритм { $plugin } установлен, но ещё не включался.
effect-not-installed = Алгоритм { $plugin } в регионе не установлен: доля показана без него.
effect-before = До включения
effect-after = После включения
effect-no-data = нет данных
effect-no-data-yet = данных после включения ещё нет
effect-returns-title = Доля заявлений, возвращённых на доработку
effect-returns-how = Из заявлений, решённых за неделю, — доля тех, что хотя бы раз возвращали на доработку.
effect-returns-chart = Доля возвращённых на доработку по неделям, процентов
effect-returns-part = Возвращались
effect-returns-whole = Решено заявлений
effect-off-standard-title = Доля заявлений, принятых не по стандарту
effect-off-standard-how = Из заявлений, поданных за неделю, — доля принятых с отступлением от стандарта услуги.
effect-off-standard-chart = Доля принятых не по стандарту по неделям, процентов
effect-off-standard-part = Не по стандарту
effect-off-standard-whole = Подано заявлений
effect-norm-title = Доля социальных работников, выполняющих норматив
effect-norm-how = Из работающих социальных работников с заданным нормативом — доля тех, кто за неделю выполнил месячный норматив посещений, пересчитанный на неделю (месяц — 30 дней).
effect-norm-chart = Доля социальных работников, выполнивших норматив, по неделям, процентов
effect-norm-part = Выполнили норматив
effect-norm-whole = Социальных работников
dashboard-change-note = Рядом с числом запросов и длительностью ответа — изменение против предыдущего периода той же длины.

## Журналы

nav-runs = Запуски
nav-audit = Журнал изменений
runs-title = Запуски алгоритмов
runs-lead = Последние запуски, новые сверху, с причиной, если запуск не удался.
runs-none = Запусков ещё не было.
run-succeeded = успешно
run-failed = не удался
col-finished = Завершён
col-outcome = Итог
col-tasks-created = Новых задач
col-failure = Причина сбоя
plugin-runs = История запусков
run-title = Запуск алгоритма { $plugin }
run-caption = Запуск { $id }
run-failed-title = Запуск не удался
run-logical-time = Расчётное время запуска
run-duration = Длительность
run-ms = { $n } мс
run-memory = Наибольший объём памяти
run-mib = { $n } МиБ
run-rows-read = Прочитано записей
run-summary = Итог алгоритма
run-examined = Проверено: { $examined }, найдено отклонений: { $found }
run-outputs = Результаты
run-outputs-counts = Задач: { $tasks }, уведомлений: { $notifications }, запросов СМЭВ: { $smev }, замечаний по визитам: { $exceptions }
run-outputs-dropped = Запуск не удался, поэтому ничего из этого не сохранено.
run-denied = Обращения без разрешения
run-log = Журнал запуска
run-log-note = Строки, которые алгоритм записал в журнал, в порядке записи, — как их написал поставщик.
run-log-empty = Алгоритм ничего не записал в журнал.
run-log-dropped = { $count ->
    [one] Ещё { $n } строка не сохранена: журнал запуска ограничен.
    [few] Ещё { $n } строки не сохранены: журнал запуска ограничен.
   *[many] Ещё { $n } строк не сохранено: журнал запуска ограничен.
}
run-stdout = Стандартный вывод
run-stderr = Вывод ошибок
col-log-level = Уровень
col-log-message = Сообщение
log-level-trace = трассировка
log-level-debug = отладка
log-level-info = сведения
log-level-warn = предупреждение
log-level-error = ошибка
failure-cpu_budget_exceeded = Алгоритм работал дольше отведённого ему времени процессора и был остановлен: бесконечный цикл или данных больше, чем позволяет бюджет. Если данных действительно много, увеличьте бюджет.
failure-memory_limit_exceeded = Алгоритму понадобилось больше памяти, чем ему разрешено, и он был остановлен.
failure-stack_exhausted = Алгоритм исчерпал стек (возможно, бесконечная рекурсия) и был остановлен.
failure-panicked = В алгоритме произошла внутренняя ошибка (panic). Сообщите поставщику, приложив этот запуск.
failure-output_cap_exceeded = Алгоритм выдал больше результатов, чем разрешено за один запуск, и был остановлен.
failure-output_bytes_exceeded = Результаты и журнал алгоритма превысили разрешённый объём, и он был остановлен.
failure-too_many_cursors = Алгоритм открыл слишком много одновременных чтений данных и был остановлен.
failure-explanation_too_long = Объяснение решения слишком длинное; алгоритм был остановлен.
failure-too_many_resources = Алгоритму понадобилось больше ресурсов, чем разрешено одному запуску, и он был остановлен.
failure-handle_misuse = Алгоритм обратился к объекту, которого платформа ему не выдавала, и был остановлен.
failure-invalid_host_call = Алгоритм передал платформе недопустимые значения и был остановлен.
failure-trapped = Алгоритм аварийно завершился.
failure-plugin_error = Алгоритм сам сообщил об ошибке — например, неверная настройка или непригодные данные.
failure-invalid_result = Алгоритм вернул недопустимый результат.
failure-host = Платформа не смогла запустить алгоритм (например, база данных не ответила вовремя). Запуск можно повторить.
failure-refused = Регион отказался загрузить пакет алгоритма: он больше не проходит проверку подписи (например, ключ поставщика отозван).
failure-other = Запуск не удался.
audit-title = Журнал изменений
audit-lead = Кто, что и когда изменил: алгоритмы, доверенные ключи, пользователи. Новые записи сверху.
col-when = Когда
col-who = Кто
col-what = Что
col-subject = Объект
col-details = Подробности

## Решения без участия специалиста

nav-cases = Решения
cases-title = Решения по заявлениям
cases-lead = Заявления, которые правила назначения решили сами, ждут ответов ведомств или передали специалисту.
cases-all = Все
cases-none = Таких заявлений нет.
case-status-waiting = Ждёт ответов ведомств
case-status-decided = Решено
case-status-failed = Передано специалисту
verdict-approve = Назначить
verdict-deny = Отказать
col-application = Заявление
col-verdict = Решение
col-updated = Обновлено
case-title = Заявление № { $id }
case-measure = Мера поддержки
case-monthly = Ежемесячно
case-period = Период выплат
case-no-end = бессрочно
case-calls = Обращений к правилу
case-failure = Почему правило не решило
case-retry = Отправить правилу снова
case-retried = Заявление снова отправлено правилу: оно решит его в следующем цикле.
case-reasons = Основания отказа
case-payments = Выплаты
case-amount = Сумма
case-trace = Из чего сложилось решение
case-trace-name = Величина
case-trace-value = Значение
case-trace-source = Источник

## Параметры с датой вступления в силу

parameters-title = Параметры алгоритма { $name }
parameters-lead = Суммы и пороги, которые меняются актами с определённой даты. Новая запись действует со своего дня: пересобирать алгоритм не нужно.
parameters-none = У алгоритма нет параметров с датой вступления в силу.
parameters-from = Действует с
parameters-from-hint = Дата, например 01.01.2027
parameters-value = Значение
parameters-value-hint = Число, например 1975 или 1,5
parameters-basis = Основание
parameters-basis-hint = Акт, который устанавливает значение, например «Постановление Правительства ХМАО – Югры № …»
parameters-source = Чья запись
parameters-region = региона
parameters-plugin = из алгоритма
parameters-in-force = действует
parameters-add = Добавить запись
parameters-submit = Добавить
parameters-added = Запись добавлена: она действует со своего дня в следующих запусках и решениях.
plugin-parameters = Параметры с датой вступления в силу
error-parameter-date = Введите дату в виде 01.01.2027
error-parameter-value = Введите число, например 1975 или 1,5
error-parameter-basis = Укажите акт, который устанавливает значение

## Доверенные ключи и пользователи

nav-trust = Ключи
nav-users = Пользователи
trust-title = Доверенные ключи поставщиков
trust-lead = Регион устанавливает и запускает только пакеты, подписанные этими ключами, каждый — в пределах своей области. Изменяются командой zemstvo trust или через API.
trust-keys = Ключи
trust-none = Регион не доверяет ни одному ключу.
trust-vendor = Поставщик
trust-key = Ключ
trust-scope = Какие пакеты
trust-rotated-from = Заменил ключ
trust-revoked = Отозванные ключи
trust-revoked-none = Отозванных ключей нет.
trust-reason = Причина
users-title = Пользователи
users-lead = Учётные записи и их роли. Откройте пользователя, чтобы изменить роль, отключить вход, задать пароль или выдать токен для другой системы.
users-login = Логин
users-name = Имя
users-role = Роль
users-employee = Сотрудник
users-active = действует
users-disabled = отключён
plugin-pinned = Версия закреплена
plugin-pin = Закрепить версию
plugin-unpin = Открепить версию
plugin-rollback = Откатить к предыдущей версии
plugin-pinned-done = Версия закреплена: обновления и откаты не выполняются, пока её не открепят.
plugin-unpinned-done = Версия откреплена.
plugin-rolled-back-done = Установлена предыдущая версия: пакет снова проверен по доверенным ключам.
error-rollback = Откат не выполнен: { $detail }

## Теневая версия правила

plugin-shadow = Теневая версия: что изменит новая версия
shadow-title = Теневая версия правила { $name }
shadow-lead = Теневая версия работает рядом с действующей: её вызывают по тем же заявлениям с теми же ответами ведомств, но её решения и запросы никуда не отправляются. Здесь видно, какие решения она приняла бы иначе.
shadow-none = Теневой версии нет. Действует версия { $live }.
shadow-start-title = Запустить теневую версию
shadow-version = Версия
shadow-version-hint = Номер версии, например 1.1.0: из тех, что есть в регионе, или из реестра.
shadow-held = В регионе есть:
shadow-start = Запустить в тени
shadow-started = Теневая версия запущена: она будет сравниваться на каждом новом решении действующей версии.
shadow-discarded = Теневая версия отключена, ничего не установлено.
shadow-live = действует
shadow-since = Запущена
shadow-compared = Сравнено решений
shadow-same = Решено так же
shadow-explained = с другим обоснованием
shadow-changed = Решено иначе
shadow-failed = Сбои теневой версии
shadow-behind = Ещё не сравнено
shadow-changes = Что изменилось бы
shadow-differences = Решения, которые изменились бы
shadow-application = Заявление
shadow-kind = Изменение
shadow-live-decision = Действующая версия
shadow-shadow-decision = Теневая версия
shadow-more = …и ещё { $count }; полный список — zemstvo shadow show --json.
shadow-no-differences = Пока все сравненные решения совпадают.
shadow-decide = Решение администратора
shadow-promote-hint = Перевод в действующие устанавливает теневую версию как обновление: включение, разрешения и настройки сохраняются. Итоги сравнения остаются в журнале действий.
shadow-promote = Сделать версию { $version } действующей
shadow-discard = Отключить теневую версию
shadow-kind-approved-denied = одобрено → отказ
shadow-kind-denied-approved = отказ → одобрено
shadow-kind-amount = изменилась сумма
shadow-kind-assignment = изменилось назначение
shadow-kind-reasons = изменились причины отказа
shadow-kind-requests = изменились запросы в ведомства
shadow-kind-asked-decided = решено без запроса в ведомство
shadow-kind-decided-asks = нужен запрос в ведомство
shadow-kind-failed-answered = сбой → решение
shadow-kind-failed = сбой теневой версии
rollout-title = Поэтапный переход
rollout-lead = Теневая версия может принимать решения по части заявлений — их получают заявители. Система проверяет каждую порцию её решений по порогам и сама возвращает все заявления действующей версии, если пороги нарушены слишком часто.
rollout-none = Поэтапный переход не начат: все заявления решает действующая версия.
rollout-state = Состояние
rollout-running = теневая версия решает { $share } заявлений
rollout-rolled-back = возвращено действующей версии: не пройдено проверок — { $failed } при допустимых { $limit }
rollout-measures = только меры
rollout-since = Начат
rollout-thresholds = Пороги
rollout-thresholds-text = проверка каждые { $window } решений; сбоев не более { $failure }, решено иначе не более { $changed }, время работы не более чем в { $duration } раза дольше действующей; возврат после { $limit } непройденных проверок
rollout-evaluations = Проверки
rollout-evaluations-text = всего { $total }, не пройдено { $failed }
rollout-last = Последняя проверка
rollout-passed = пройдена
rollout-failed = не пройдена
rollout-last-text = решений новой версии { $candidate }, из них сбоев { $failures } ({ $failure_rate }); решений действующей { $live }, новая решила бы иначе { $differing } ({ $changed_rate }); время работы { $duration } от действующей
rollout-stop = Остановить переход: все заявления решает действующая версия
rollout-start-title = Начать поэтапный переход
rollout-share = Доля заявлений, %
rollout-share-hint = Целое число от 1 до 100. Заявление попадает в долю по постоянному признаку, поэтому все обращения по одному делу решает одна версия.
rollout-window = Решений в одной проверке
rollout-window-hint = Сколько решений новой версии проверяется за раз: от 1 до 10 000.
rollout-max-failure = Допустимая доля сбоев, %
rollout-max-changed = Допустимая доля иных решений, %
rollout-percent-hint = Число от 0 до 100, например 2 или 2,5.
rollout-max-duration = Допустимое замедление, раз
rollout-max-duration-hint = Во сколько раз среднее время работы новой версии может превышать время действующей: от 1 до 1000.
rollout-failure-limit = Непройденных проверок до возврата
rollout-failure-limit-hint = После стольких непройденных проверок (всего, не подряд) все заявления вернутся действующей версии: от 1 до 100.
rollout-start = Начать переход
rollout-started = Поэтапный переход начат: часть новых заявлений решает теневая версия.
rollout-stopped = Переход остановлен: все заявления решает действующая версия, теневая продолжает сравниваться.
shadow-kind-outcome = изменился исход
shadow-kind-category = другая категория
shadow-kind-authority = другой ответственный орган
shadow-kind-to-specialist = направлено → специалисту первой линии
shadow-kind-from-specialist = специалисту первой линии → направлено
shadow-kind-merge = другое предложение объединить
shadow-kind-urgency = другая срочность или влияние
shadow-kind-deadline = другой срок ответа
shadow-kind-confidence = другая уверенность классификации
plugin-replay = Проверить другую версию на записанных решениях
replay-title = Проверка версии алгоритма { $name } на записанных решениях
replay-lead-decisions = Записанные решения по заявлениям принимаются заново выбранной версией — с теми же данными заявлений и ответами ведомств, с которыми они были приняты. Ничего не сохраняется и никуда не отправляется: страница показывает, какие решения стали бы другими.
replay-lead-appeals = Записанные решения о маршрутизации обращений принимаются заново выбранной версией — с тем же текстом и местом обращения, теми же открытыми инцидентами и тем классификатором, что были записаны. Ничего не сохраняется и никуда не отправляется: страница показывает, какие решения стали бы другими.
replay-lead-run = Записанный запуск выполняется заново дважды на данных региона: версией, которая его записала, и выбранной версией. Ничего не сохраняется и никуда не отправляется: страница показывает, какие задачи, категории объектов и сообщения стали бы другими.
replay-form-title = Что проверить
replay-version = Версия
replay-version-hint = Номер версии, например 1.1.0: из тех, что есть в регионе, или из реестра. Пусто — действующая версия { $live }: она должна повторить всё записанное.
replay-held = В регионе есть:
replay-since = С даты
replay-since-hint = Например, 01.11.2026. Пусто — с первой записи.
replay-until = До даты (не включая её)
replay-until-hint = Пусто — по сегодняшний день.
replay-run = Запуск
replay-run-hint = Номер запуска из истории запусков. Пусто — последний записанный запуск в указанных датах.
replay-submit = Проверить
replay-limit-note = Проверяется не более { $count } решений, начиная с самых ранних; больше — через командную строку: zemstvo replay.
replay-result = Результат проверки
replay-candidate = Проверенная версия
replay-signer = подпись
replay-unsigned = без подписи (установлена для разработки)
replay-recorded-versions = Решения записаны версиями
replay-replayed = Проверено решений
replay-identical = Решено так же
replay-explained = с другим обоснованием
replay-changed = Решено иначе
replay-failed = Сбои проверяемой версии
replay-skipped = Не проверено
replay-all-identical = Версия { $version } принимает все проверенные решения так же, как они были записаны.
replay-none = В выбранных датах нет записанных решений.
replay-changes = Что изменилось бы
replay-differences = Решения, которые изменились бы
replay-application = Заявление
replay-appeal = Обращение
replay-kind = Изменение
replay-recorded = Как записано
replay-candidate-decision = Проверяемая версия
replay-kind-failed = сбой проверяемой версии
replay-more = …и ещё { $count }; полный список — zemstvo replay … --json.
replay-seconds = Проверка заняла { $seconds } с.
replay-run-recorded = Записанный запуск
replay-recorded-version = Записан версией
replay-logical-time = Время запуска
replay-rows = Прочитано строк
replay-data = Данные
replay-data-unchanged = не изменились с записанного запуска: версия, которая его записала, прочитала ровно те же данные.
replay-data-changed = изменились после записанного запуска: обе версии выполнены на сегодняшних данных.
replay-data-unknown = неизвестно, те ли это данные: запуск записан до того, как записи стали хранить отпечаток прочитанных данных.
replay-reproduced = Версия { $version } повторила записанный запуск в точности.
replay-not-reproduced = Версия { $version } на сегодняшних данных выдаёт не то, что записано; ниже — сравнение двух версий на сегодняшних данных.
replay-run-identical = Версия { $candidate } выдаёт то же, что версия { $recorded }.
replay-baseline-failed = Версия, записавшая запуск, завершилась сбоем: { $detail }
replay-candidate-failed = Проверяемая версия завершилась сбоем: { $detail }
replay-items = Что выдано
replay-col-item = Что
replay-col-identical = Так же
replay-col-added = Добавится
replay-col-removed = Пропадёт
replay-col-changed = Изменится
replay-col-key = Ключ
replay-item-task = задачи
replay-item-object = объекты
replay-item-visit = отклонения по посещениям
replay-item-message = сообщения
replay-change-added = добавится
replay-change-removed = пропадёт
replay-change-assignee = другой исполнитель
replay-change-records = другие записи в задаче
replay-change-priority = другой приоритет
replay-change-due = другой срок
replay-change-wording = другой текст
replay-change-score = другая оценка
replay-change-exception = другое отклонение
replay-change-message = другое сообщение
replay-category-change = категория { $change }
replay-item-differences = Что именно изменилось бы
error-rollout-number = Введите число.
error-rollout-exists = Переход уже идёт: остановите его, затем начните новый.
error-rollout-measures = Меры перечисляются кодами через запятую, не более 100.
error-shadow-version = Укажите номер версии, например 1.1.0.
error-shadow = Не выполнено: { $detail }
error-shadow-exists = У правила уже есть теневая версия: сделайте её действующей или отключите, затем запустите новую.
error-shadow-unknown = Версии { $version } нет ни в регионе, ни в реестре. Проверьте номер или загрузите пакет через командную строку: zemstvo shadow start … --candidate ФАЙЛ.
error-shadow-live = Версия { $version } и есть действующая: выберите другую.
error-shadow-unsigned = Версия { $version } установлена без подписи (для разработки); теневой может быть только подписанный пакет.
error-shadow-refused = Пакет не прошёл проверку по доверенным ключам: { $detail }
error-replay-day = Введите дату в виде 01.11.2026.
error-replay-range = Дата «до» должна быть позже даты «с».
error-replay-run-id = Номер запуска — не длиннее 100 знаков, как в истории запусков.
error-replay-busy = На этом сервере уже идёт другая проверка. Повторите, когда она закончится.
error-replay-unknown = Версии { $version } нет ни в регионе, ни в реестре. Проверьте номер или проверьте пакет через командную строку: zemstvo replay … --candidate ФАЙЛ.
error-replay-no-such-run = Такого записанного запуска нет. Номера запусков — в истории запусков алгоритма.
error-replay-no-run = В этих датах нет записанного запуска. Измените даты или оставьте их пустыми.

## Установка и обновление алгоритмов

install-title = Установить алгоритм
install-lead = Каждый пакет проверяется по доверенным ключам региона: устанавливается только подписанный поставщиком, которому регион доверяет, в пределах его области. Если проверка не пройдена, ничего не меняется.
install-from-registry = Из реестра региона
install-registry = Реестр региона: { $registry }
install-no-registry = В регионе не настроен реестр или зеркало пакетов (параметр registry в region.toml). Установите алгоритм из файла пакета ниже.
install-registry-broken = Реестр региона { $registry } недоступен: { $detail }. Исправьте параметр registry в region.toml.
install-name = Название пакета
install-name-hint = Например, isu-smev-answer-delay
install-version = Версия
install-version-hint = Необязательно. Например, ^1.2 или =1.2.0; без версии — самая новая.
install-enable = Включить сразу после установки
install-grant-declared = Выдать все разрешения, которые запрашивает алгоритм
install-submit = Проверить и установить
install-from-file = Из файла пакета
install-file = Файл пакета (.zpkg)
install-file-hint = Файл, который выдаёт команда zemstvo plugin pack, не больше { $max } МиБ.
install-upload-submit = Загрузить, проверить и установить
error-install-name-empty = Введите название пакета
error-install-name = Название пакета — строчные латинские буквы, цифры и дефис, например isu-smev-answer-delay
error-install-version = Введите версию, например ^1.2 или =1.2.0, или оставьте поле пустым
error-upload-none = Выберите файл пакета
error-upload-empty = Файл пакета пустой
install-refused-no-keys = Пакет не установлен: регион ещё не доверяет ни одному ключу поставщика. Добавьте ключ командой zemstvo trust add. Подробности: { $detail }
install-refused-pinned = Пакет не установлен: версия алгоритма закреплена. Открепите её на странице алгоритма. Подробности: { $detail }
install-refused-downgrade = Пакет не установлен: его версия ниже установленной. Подробности: { $detail }
install-refused-nothing-to-roll-back = Нет предыдущей версии, к которой можно вернуться. Подробности: { $detail }
install-refused-source = Пакет не получен из реестра: проверьте название и версию. Подробности: { $detail }
install-refused-malformed = Файл не является пакетом алгоритма: выберите файл .zpkg, который выдаёт команда zemstvo plugin pack. Подробности: { $detail }
install-refused-unknown-key = Пакет не установлен: он подписан ключом, которого нет среди доверенных ключей региона. Подробности: { $detail }
install-refused-revoked-key = Пакет не установлен: ключ, которым он подписан, отозван. Попросите поставщика подписать пакет новым ключом. Подробности: { $detail }
install-refused-scope = Пакет не установлен: ключ поставщика не распространяется на пакеты с таким названием. Подробности: { $detail }
install-refused-trust = Пакет не прошёл проверку подписи: он подписан ключом, которому регион не доверяет, или изменён после подписи. Подробности: { $detail }
install-refused-load = Пакет не установлен: его компонент не загружается платформой. Подробности: { $detail }
install-refused-host-too-old = Пакет не установлен: он требует более новой версии платформы. Подробности: { $detail }
install-refused-other = Пакет не установлен. Подробности: { $detail }
plugin-installed-done = Алгоритм установлен.
plugin-upgraded-done = Алгоритм обновлён с версии { $from }.
plugin-downgraded-done = Установлена более ранняя версия вместо { $from }.
plugin-already-installed-done = Эта версия уже установлена: ничего не изменилось.
plugin-upgrade = Обновить из реестра
plugin-upgrade-hint = Установить самую новую версию из реестра региона (отозванные версии пропускаются). Пакет проверяется по доверенным ключам.
plugin-upgrade-no-registry = Обновить из реестра нельзя: в регионе не настроен реестр. Новую версию можно установить из файла пакета на странице «Установить алгоритм».
verify-title = Проверка пакета
verify-lead = Пакет прошёл проверку: его подпись сделана доверенным ключом поставщика в пределах его области, содержимое совпадает с подписанным.
verify-vendor = Поставщик
verify-key = Ключ подписи
verify-requested = Запрашиваемые разрешения
verify-granted = выдано
verify-not-granted = не выдано
verify-grant-link = Выдать разрешения

## Пользователи и токены

users-new-title = Добавить пользователя
users-login-hint = Латинские буквы, цифры, точка, дефис, подчёркивание или @, от 2 до 64 знаков
users-name-hint = Фамилия, имя и отчество
users-employee-hint = Номер сотрудника в данных региона. Обязателен для специалиста и руководителя: по нему они видят свои задачи и задачи подразделения.
users-password = Пароль
users-password-hint = Не короче 10 знаков. Без пароля пользователь входит только по одноразовой ссылке или токену.
users-add-submit = Добавить пользователя
user-title = Пользователь { $login }
users-role-change = Новая роль
users-role-submit = Сменить роль
users-self-hint = Это ваша учётная запись: свою роль администратора и свой вход может изменить только другой администратор.
users-sign-in = Вход
users-disable = Отключить вход
users-enable = Включить вход
users-disable-hint = Отключение сразу завершает все сеансы пользователя, и его токены перестают действовать.
users-password-new = Новый пароль
users-password-submit = Задать пароль
users-done-added = Пользователь добавлен.
users-done-role = Роль изменена.
users-done-disabled = Вход отключён: сеансы пользователя завершены, токены не действуют.
users-done-enabled = Вход включён.
users-done-password = Пароль задан.
users-done-revoked = Токен отозван: он больше не действует.
users-done-token = Токен выдан.
error-user-login = Введите логин: латинские буквы, цифры, точка, дефис, подчёркивание или @, от 2 до 64 знаков
error-user-login-taken = Этот логин уже занят, выберите другой
error-user-name = Введите фамилию, имя и отчество (не длиннее 200 знаков)
error-user-role = Выберите роль
error-user-employee-needed = Укажите номер сотрудника: он нужен специалисту и руководителю
error-user-employee = Номер сотрудника — целое число, например 12
error-user-employee-unknown = Сотрудника с таким номером в данных региона нет
error-user-password = Пароль должен быть не короче 10 знаков
error-user-self = Свою роль администратора и свой вход изменить нельзя: это может сделать другой администратор
error-user-other = Пользователь не добавлен: { $detail }
tokens-title = Токены для других систем
tokens-lead = Токен — ключ, по которому другая система региона (портал, МФЦ) обращается к API от имени этого пользователя. Значение показывается один раз, при выдаче.
tokens-none = Токенов нет.
token-name = Для какой системы
token-name-hint = Например, portal или mfc
token-created = Выдан
token-expires = Действует до
token-expired = истёк
token-revoked = отозван { $date }
token-revoke = Отозвать
token-new = Выдать токен
token-days = Срок действия, дней
token-days-hint = От 1 до { $max }
token-submit = Выдать токен
token-new-title = Новый токен
token-new-lead = Скопируйте его сейчас: больше он нигде не будет показан. Действует до { $date }.
error-token-name = Укажите, для какой системы токен (не длиннее 100 знаков)
error-token-days = Введите число дней от 1 до { $max }

## Описания эталонных алгоритмов и их настроек. Поставщик пишет описание в пакете; здесь — его
## перевод для страниц: plugin-ИМЯ-description, plugin-ИМЯ-config-КЛЮЧ, plugin-ИМЯ-parameter-КЛЮЧ.
## Алгоритм без перевода показывает текст поставщика как есть.

plugin-isu-daily-briefing-description = Утром каждого рабочего дня каждый работающий специалист и социальный работник получает свою задачу: сколько заявлений у него в работе, сколько распределено, но не взято, и какие ответы СМЭВ по его делам пришли с опозданием с прошлого рабочего дня — со списками (ИСУ, Липецк, задача № 21712).
plugin-isu-daily-briefing-config-max-wait-days = Сколько дней может идти ответ СМЭВ, прежде чем он считается опоздавшим
plugin-isu-daily-briefing-config-every-day = Выдавать задачу каждый день, включая выходные и праздники
plugin-isu-daily-briefing-config-send-empty = Выдавать задачу и тем, у кого нечего сообщить
plugin-isu-daily-briefing-config-utc-offset-hours = На сколько часов время региона опережает UTC (Липецк живёт по московскому времени: 3)
plugin-isu-daily-briefing-config-holidays = Праздничные дни, выпадающие на будни, в виде ГГГГ-ММ-ДД через запятую
plugin-isu-daily-briefing-config-extra-work-days = Субботы и воскресенья, которые по производственному календарю рабочие, в виде ГГГГ-ММ-ДД через запятую

plugin-isu-smev-answer-delay-description = Находит запросы СМЭВ, ответ на которые ждали дольше нормы (пришёл поздно или не пришёл до сих пор), и выдаёт руководителю каждого ответственного сотрудника одну задачу со списком дел и мерами по исправлению (ИСУ, Липецк).
plugin-isu-smev-answer-delay-config-max-wait-days = Сколько дней может идти ответ, прежде чем это отклонение
plugin-isu-smev-answer-delay-config-lookback-days = За сколько последних дней проверяются запросы

plugin-isu-overdue-applications-description = Находит заявления в работе (по настройке — также распределённые и возвращённые на доработку) с истёкшим сроком рассмотрения и выдаёт руководителю каждого ответственного сотрудника одну задачу со списком дел, начиная с самых просроченных, и мерами по исправлению (ИСУ, Липецк).
plugin-isu-overdue-applications-config-grace-hours = Сколько часов после срока ещё допускается, прежде чем заявление попадёт в задачу
plugin-isu-overdue-applications-config-include-assigned = Включать заявления, распределённые, но ещё не взятые в работу
plugin-isu-overdue-applications-config-include-returned = Включать заявления, возвращённые на доработку
plugin-isu-overdue-applications-config-high-after-days = С какой просрочки самого просроченного дела (в днях) задача получает высокий приоритет
plugin-isu-overdue-applications-config-urgent-after-days = С какой просрочки самого просроченного дела (в днях) задача срочная (больше, чем для высокого приоритета)

plugin-isu-unaccepted-applications-description = Находит заявления, распределённые сотруднику, но не взятые в работу в пределах нормы (часов с распределения), и выдаёт руководителю каждого ответственного сотрудника одну задачу: сотрудники, дела, сколько ждало каждое, меры по исправлению (ИСУ, Липецк).
plugin-isu-unaccepted-applications-config-max-wait-hours = Сколько часов распределённое заявление может ждать, пока его возьмут в работу (календарные часы, праздники не учитываются)
plugin-isu-unaccepted-applications-config-high-after-hours = Со скольких часов самого долгого ожидания задача получает высокий приоритет

plugin-isu-returns-for-revision-description = Для каждого сотрудника — доля его заявлений за период, хотя бы раз возвращённых на доработку; сотрудники выше порога (при достаточном числе заявлений) попадают в одну задачу их руководителю с возвращёнными делами и мерами наставничества (ИСУ, Липецк: 2 % → 0,7 %).
plugin-isu-returns-for-revision-config-lookback-days = За сколько последних дней проверяются заявления (по дате подачи)
plugin-isu-returns-for-revision-config-threshold-percent = Доля возвращённых заявлений в процентах, выше которой сотрудник попадает в задачу
plugin-isu-returns-for-revision-config-min-applications = Сколько заявлений за период должно быть у сотрудника, чтобы его доля оценивалась

plugin-isu-off-standard-acceptance-description = Находит сотрудников, у которых доля заявлений, принятых с отступлением от стандарта, за период выше порога (при достаточном числе заявлений), и выдаёт каждому ответственному руководителю одну задачу: сотрудники, их доли, дела и меры по исправлению (ИСУ, Липецк).
plugin-isu-off-standard-acceptance-config-lookback-days = За сколько дней приёма считается доля каждого сотрудника
plugin-isu-off-standard-acceptance-config-max-share-percent = Доля принятых не по стандарту в процентах, выше которой сотрудник попадает в задачу (с точностью до 0,01)
plugin-isu-off-standard-acceptance-config-min-applications = Сколько заявлений сотрудник должен принять за период, чтобы его доля оценивалась

plugin-isu-home-care-load-description = Считает у каждого работающего социального работника завершённые посещения (с отмеченными фактическими началом и окончанием) за период и сравнивает с его нормативной нагрузкой, пересчитанной на период; те, кто ниже, попадают в одну задачу их руководителю: посещения против норматива, пропущенные и незакрытые посещения, что сделать (ИСУ, Липецк: 64 % → 75 % выполняют норматив).
plugin-isu-home-care-load-config-period-days = За сколько последних дней считаются посещения
plugin-isu-home-care-load-config-norm-percent = Какую долю нормативной нагрузки в процентах сотрудник должен выполнить

plugin-home-care-geo-check-description = Сверяет отметку GPS каждого посещения на дому с адресом гражданина (геозона, её можно задать для адреса) и длительность посещения с нормой услуги; записывает каждое замечание с причиной (электронная проверка посещений) и раз в день выдаёт руководителю задачу по каждому сотруднику с повторяющимися замечаниями (ИСУ, Липецк).
plugin-home-care-geo-check-config-lookback-days = За сколько последних дней проверяются посещения (по плановому началу)
plugin-home-care-geo-check-config-geofence-m = Радиус геозоны вокруг адреса в метрах, если для адреса он не задан
plugin-home-care-geo-check-config-service-norms = Наименьшая длительность посещения по каждой услуге в минутах: объект JSON «услуга → минуты» (от 1 до 1440); услуги не из списка не проверяются
plugin-home-care-geo-check-config-pattern-threshold = Сколько замечаний у одного сотрудника за период составляют повторяющееся нарушение для руководителя

plugin-citizen-informing-description = По каждому жизненному событию из каталога (заявление зарегистрировано, возвращено или решено, пришёл ответ СМЭВ) сообщает гражданину по СМС или голосом по шаблону региона, если гражданин согласился на проактивное информирование (единый контактный центр, постановление № 1994).
plugin-citizen-informing-config-window-hours = О событиях скольких последних часов до запуска сообщать
plugin-citizen-informing-config-default-channel = Канал для событий каталога, у которых он не указан
plugin-citizen-informing-config-max-messages = Наибольшее число сообщений за один запуск
plugin-citizen-informing-config-catalogue = Каталог жизненных событий в JSON вместо поставляемого (см. catalogue.json алгоритма); пусто — поставляемый каталог

plugin-moscow-risk-categories-description = Оценивает каждый объект контроля по находкам дронов и ИИ, обращениям граждан, прежним нарушениям, расхождениям с реестрами и времени с последней проверки; записывает его категорию риска (набор по 248-ФЗ настраивается, по умолчанию — пять московских) с факторами, из которых она сложилась; руководителю инспекции — задача по каждому объекту высших категорий, которому пора на проверку.
plugin-moscow-risk-categories-config-weights = Веса показателей, JSON: drone, appeal, violation, registry-mismatch, time-since-inspection (относительные доли; пропущенный ключ сохраняет значение по умолчанию, 0 отключает показатель)
plugin-moscow-risk-categories-config-categories = Категории риска, массив JSON от самой высокой: name, threshold (балл от 0 до 100, с которого она действует), frequency_months (как часто проверяются её объекты; без частоты может быть только low), label по желанию; от 3 до 6 категорий, low последней (248-ФЗ)
plugin-moscow-risk-categories-config-signal-horizon-days = За сколько дней вес сигнала убывает до нуля
plugin-moscow-risk-categories-config-inspection-gap-days = Через сколько дней после последней проверки показатель времени становится полным (объект без проверок — полный)
plugin-moscow-risk-categories-config-task-categories = Сколько самых высоких категорий получают задачи на проверку
plugin-moscow-risk-categories-config-inspection-head-id = Номер сотрудника — руководителя инспекции, который получает задачи; 0 — задачи не ставятся, в журнал пишется только число объектов, которым пора на проверку
plugin-moscow-risk-categories-config-max-tasks = Наибольшее число задач на проверку за запуск (по одной на объект, начиная с самых рискованных)
plugin-moscow-risk-categories-config-task-due-days = Сколько дней у инспекции на каждую задачу

plugin-yugra-child-allowance-description = Решает без участия специалиста заявления на ежемесячные социальные пособия Югры на детей-инвалидов и детей, потерявших кормильца: запрашивает в СФР СНИЛС и пенсию заявителя, в МВД — регистрацию по месту жительства и действительность паспорта, затем назначает пособие с графиком ежемесячных выплат или отказывает с указанием причин (ХМАО – Югра, АСОИ).
plugin-yugra-child-allowance-config-measures = Какие меры решает правило, через запятую: disabled-child-allowance, survivor-child-allowance
plugin-yugra-child-allowance-config-schedule-months = На сколько месяцев расписываются выплаты в назначении
plugin-yugra-child-allowance-config-payment-day = День месяца, к которому полагается каждая выплата
plugin-yugra-child-allowance-parameter-child-age-limit = Возраст в полных годах, с которого пособия прекращаются; заявление, поданное в этот день рождения или позже, отклоняется
plugin-yugra-child-allowance-parameter-disabled-child-allowance-amount = Ежемесячное социальное пособие на ребёнка-инвалида
plugin-yugra-child-allowance-parameter-survivor-child-allowance-amount = Ежемесячное социальное пособие на ребёнка, потерявшего кормильца
unit-RUB-month = ₽ в месяц
unit-years = лет

## Действия в журнале изменений и в истории установки

action-install = установка
action-upgrade = обновление
action-downgrade = установка более ранней версии
action-rollback = откат
action-enable = включение
action-disable = выключение
action-pin = закрепление версии
action-unpin = открепление версии
action-configure = изменение настроек
action-grant = изменение разрешений
action-schedule = изменение расписания
action-parameter-set = новая запись параметра
action-parameter-remove = удаление записи параметра
action-shadow-start = запуск теневой версии
action-shadow-promote = теневая версия стала действующей
action-shadow-discard = отключение теневой версии
action-rollout-start = начало поэтапного перехода
action-rollout-evaluation = проверка поэтапного перехода
action-rollout-rollback = автоматический возврат действующей версии
action-rollout-stop = остановка поэтапного перехода
action-rollout-end = поэтапный переход завершён вместе с теневой версией
action-user-added = добавлен пользователь
action-user-changed = изменён пользователь
action-token-added = выдан токен
action-token-revoked = отозван токен
action-task = изменение задачи
action-task-comment = комментарий к задаче
action-task-reassign = передача задачи
action-case-retry = повторное решение заявления
action-application-submit = регистрация заявления
action-run-triggered = запуск вручную
action-run-abandoned = запуск прерван
action-decision = решение по заявлению
action-trust-add = добавлен доверенный ключ
action-trust-revoke = отозван ключ
action-trust-rotate = замена ключа
action-trust-remove = удалён доверенный ключ
action-trust-sync = обновлены доверенные ключи

## Обращения граждан

nav-appeals = Обращения
appeals-title = Обращения граждан
appeals-lead = Обращения из каналов приёма: классификация, инцидент, ответ исполнителя и оценка заявителя. Контакты заявителей здесь не показываются.
appeals-filter-label = Отбор обращений по статусу
appeals-all = Все
appeals-none = Таких обращений нет.
col-appeal = Обращение
col-received = Получено
col-category = Категория
col-territory = Территория
col-incident = Инцидент
appeal-status-received = Получено
appeal-status-review = На проверке
appeal-status-assigned = Передано исполнителю
appeal-status-answered = Дан ответ
appeal-status-closed = Закрыто
appeal-status-reopened = Открыто повторно
appeal-status-corrected = Классификация уточнена
incident-status-open = Открыт
incident-status-answered = Дан ответ
incident-status-closed = Закрыт
incident-status-reopened = Открыт повторно
appeal-overdue = просрочено
appeal-unclassified = не определена
appeal-title = Обращение № { $id }
appeal-summary = Сведения об обращении
appeal-channel = Канал
appeal-place = Место
appeal-no-place = не указано
appeal-media = Фотография
appeal-media-link = Открыть фотографию
appeal-classification = Классификация
appeal-authority = Ответственный орган
appeal-catalogue-version = Версия классификатора
appeal-urgency = Срочность
appeal-impact = Масштаб
urgency-low = низкая
urgency-medium = средняя
urgency-high = высокая
urgency-critical = критическая
impact-individual = один заявитель
impact-building = дом
impact-street = улица
impact-district = район
impact-region = вся область
appeal-proposal = Предложение классификатора
appeal-router = Классификатор
appeal-confidence = Уверенность
appeal-needs-review = нужна проверка специалиста
appeal-proposal-merges = Предложено объединить
appeal-proposal-merge = с инцидентом № { $id }: { $reason }
appeal-trace = Из чего сложилось предложение
appeal-classify = Классифицировать обращение
appeal-classify-hint = Выберите категорию и орган по действующему классификатору (версия { $version }). Исполнитель органа получит задачу.
appeal-no-catalogue = Классификатор не загружен: классифицировать обращение пока нельзя. Загрузите его командой «zemstvo appeals catalogue».
appeal-choose = Выберите…
appeal-urgency-default = Как у категории
appeal-merge = Объединить с инцидентом
appeal-merge-hint = Открытый инцидент той же категории рядом: обращение присоединится к нему, новый инцидент не откроется.
appeal-merge-none = Не объединять — открыть новый инцидент
appeal-merge-choice = № { $id }, { $category }, { $count ->
    [one] { $n } обращение
    [few] { $n } обращения
   *[many] { $n } обращений
}
appeal-classify-submit = Классифицировать
appeal-incident = Инцидент
appeal-no-incident = Обращение ещё не отнесено к инциденту.
appeal-incident-appeals = Обращений в инциденте
appeal-incident-task = Задача исполнителя
appeal-answer = Ответ
appeal-answer-label = Ответ заявителям
appeal-answer-hint = Ответ получат все заявители инцидента ({ $count ->
    [one] { $n } обращение
    [few] { $n } обращения
   *[many] { $n } обращений
}). Напишите, что сделано.
appeal-answer-submit = Отправить ответ
appeal-verdict-accepted = Заявитель согласен с ответом.
appeal-verdict-rejected = Заявитель не согласен с ответом.
appeal-rating = Оценка: { $rating } из 5.
appeal-history = История
appeal-history-none = Истории пока нет.
appeal-done-classified = Обращение классифицировано, исполнитель получил задачу.
appeal-done-merged = Обращение присоединено к инциденту.
appeal-done-answered = Ответ отправлен заявителям.
appeal-error-category = Выберите категорию из классификатора
appeal-error-authority = Выберите орган из классификатора, у которого назначен исполнитель
appeal-error-merge = Выберите открытый инцидент той же категории или не объединяйте
appeal-error-classified = Обращение уже классифицировано — обновите страницу
appeal-error-answered = Инцидент уже не открыт — обновите страницу
appeal-error-answer-empty = Напишите ответ заявителям
appeal-error-answer-long = Ответ длиннее { $max } символов
dashboard-appeals = Обращения граждан
appeals-stat-appeals = Обращений
appeals-stat-incidents = Инцидентов
appeals-stat-review = На проверке классификации
appeals-stat-open = Ждут ответа
appeals-stat-answered = Ждут оценки заявителя
appeals-stat-closed = Закрыто
appeals-stat-reopened = Открыто повторно
appeals-stat-overdue = Инцидентов просрочено
appeals-stat-note = Присоединено к существующим инцидентам: { $merged }. Разборов причин: { $causes }, заявок на изменение инфраструктуры: { $changes }.
appeals-stat-none = Обращений пока нет.
appeals-days-chart = Среднее время ответа по категориям, дни
appeals-by-category = Обращения по категориям
appeals-by-territory = Обращения по территориям
appeals-by-authority = Обращения по органам
appeals-col-category = Категория
appeals-col-territory = Территория
appeals-col-authority = Орган
appeals-col-appeals = Обращений
appeals-col-days = Дней до ответа
appeals-col-reopened = Открыто повторно
appeals-col-rating = Средняя оценка
